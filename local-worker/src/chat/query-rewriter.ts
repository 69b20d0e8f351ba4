import { AppError } from '@review-assistant/shared';
import type { ChatTurn } from '@review-assistant/shared';
import type { ChatModel } from '../ports.js';
import { isStopWord, words } from '../text/tokenize.js';

/** Turns a follow-up question into a standalone search query, using the recent conversation. */
export interface QueryRewriter {
  readonly kind: string;
  rewrite(message: string, history: ChatTurn[], signal?: AbortSignal): Promise<string>;
}

/** Earlier user turns the heuristic looks at (most recent first). */
const USER_TURNS_CONSIDERED = 3;

// Words that point back at something said before ("what about their desserts?", "is it pricey?").
const REFERRING = new Set(
  'it its they them their theirs there that this those these he she his her one ones same place restaurant also too else more'.split(' '),
);
// Judgement words say what the user wants to know about a topic, not which topic.
const EVALUATIVE = new Set('good bad nice great best worst worth ok okay fine decent recommend recommended better'.split(' '));
const FOLLOW_UP_OPENERS = /^(and|also|what about|how about|what else|anything else|same|ok(ay)?|then|but|so)\b/i;

/**
 * Offline rewriter (deterministic): when the message looks like a follow-up (it refers back with
 * "it/they/there/that place…", opens with "and/what about…", or has no topic word of its own), it
 * appends the restaurant names of the most recent earlier user turn that had any, plus that turn's
 * topics when the message has none ("and is it good?"). Names are capitalised word runs not at
 * the start of a sentence and quoted phrases ("Paradise Biryani"); topics are non-stop words other
 * than judgement words (good, worth, ...). A message that names its own restaurant carries no name.
 */
export class HeuristicQueryRewriter implements QueryRewriter {
  readonly kind = 'heuristic';

  async rewrite(message: string, history: ChatTurn[]): Promise<string> {
    return rewriteHeuristically(message, history);
  }
}

export function rewriteHeuristically(message: string, history: ChatTurn[]): string {
  const previous = history.filter((turn) => turn.role === 'user').slice(-USER_TURNS_CONSIDERED).reverse();
  if (previous.length === 0) return message;
  const messageWords = words(message);
  const topicWords = messageWords.filter((word) => !isStopWord(word) && !REFERRING.has(word) && !EVALUATIVE.has(word) && word.length > 1);
  const refers = messageWords.some((word) => REFERRING.has(word)) || FOLLOW_UP_OPENERS.test(message.trim());
  const ownNames = namesIn(message);
  if (!refers && topicWords.length > 0) return message;
  const carried: string[] = [];
  for (const turn of previous) {
    const names = ownNames.length > 0 ? [] : namesIn(turn.content);
    const topics = topicWords.length > 0 ? [] : topicTermsOf(turn.content, names);
    if (names.length === 0 && topics.length === 0) continue;
    carried.push(...names, ...topics);
    break;
  }
  const additions = unique(carried).filter((item) => !message.toLowerCase().includes(item.toLowerCase()));
  return additions.length === 0 ? message : `${message} (${additions.join(', ')})`;
}

/** Capitalised word runs that are not sentence-initial, and quoted phrases. */
export function namesIn(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/["“']([^"”']{2,60})["”']/g)) if (match[1]) names.push(match[1].trim());
  for (const sentence of text.split(/(?<=[.!?])\s+/)) {
    const tokens = sentence.split(/\s+/).map((token) => token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}'&]+$/gu, ''));
    let run: string[] = [];
    const flush = () => {
      if (run.length > 0) names.push(run.join(' '));
      run = [];
    };
    tokens.forEach((token, index) => {
      const capitalised = /^\p{Lu}/u.test(token) && token.length > 1;
      const sentenceStart = index === 0;
      if (capitalised && !(sentenceStart && isStopWord(token.toLowerCase())) && !(sentenceStart && run.length === 0 && isQuestionWord(token))) {
        run.push(token);
      } else {
        flush();
      }
    });
    flush();
  }
  return unique(names.filter((name) => !isStopWord(name.toLowerCase()) && name !== 'I'));
}

function topicTermsOf(text: string, names: string[]): string[] {
  const inNames = new Set(names.flatMap((name) => words(name)));
  return unique(
    words(text).filter((word) => !isStopWord(word) && !REFERRING.has(word) && !EVALUATIVE.has(word) && word.length > 2 && !inNames.has(word)),
  );
}

function isQuestionWord(token: string): boolean {
  return /^(how|what|which|where|when|who|why|is|are|do|does|did|can|could|should|would|was|were|tell|any|give|show|list|find)$/i.test(token);
}

function unique(items: string[]): string[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const REWRITE_SYSTEM_PROMPT = [
  'You rewrite the last user message of a conversation about restaurant reviews into one standalone search query.',
  'Resolve words like "it", "they", "there" and "that place" using the conversation; keep restaurant names, dishes and topics.',
  'Do not answer the question. Output only the rewritten query on one line, with no quotes or explanation.',
].join('\n');

/** Turns of history shown to the rewriting model. */
const REWRITE_HISTORY_TURNS = 6;
const MAX_QUERY_CHARS = 300;

/**
 * Rewriter for the Ollama backend: a short, temperature-0 prompt to the chat model. No history:
 * the message is returned unchanged without a model call. A failed or empty rewrite falls back to
 * the heuristic (cancellation is passed on).
 */
export class LlmQueryRewriter implements QueryRewriter {
  readonly kind = 'llm';

  /**
   * @param options.timeoutMs longest wait for the rewrite before the heuristic takes over, so a
   * slow model costs one bounded delay rather than two long ones. @default 20000
   */
  constructor(
    private readonly model: ChatModel,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  async rewrite(message: string, history: ChatTurn[], signal?: AbortSignal): Promise<string> {
    if (history.length === 0) return message;
    const transcript = history
      .slice(-REWRITE_HISTORY_TURNS)
      .map((turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.content.slice(0, 600)}`)
      .join('\n');
    const prompt = `Conversation:\n${transcript}\n\nLast user message: ${message}\n\nStandalone search query:`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 20_000);
    try {
      let text = '';
      for await (const chunk of this.model.stream(
        [
          { role: 'system', content: REWRITE_SYSTEM_PROMPT },
          { role: 'user', content: prompt },
        ],
        { temperature: 0, maxTokens: 64, signal: signal ? AbortSignal.any([signal, timeout]) : timeout },
      )) {
        text += chunk.text;
        if (text.length > MAX_QUERY_CHARS * 2) break;
      }
      const query = cleanQuery(text);
      return query.length > 0 ? query : rewriteHeuristically(message, history);
    } catch (error) {
      if (signal?.aborted) throw error instanceof AppError ? error : new AppError('cancelled', 'query rewrite cancelled', { cause: error });
      return rewriteHeuristically(message, history);
    }
  }
}

function cleanQuery(text: string): string {
  const firstLine = text.trim().split('\n')[0] ?? '';
  return firstLine
    .replace(/^(standalone )?(search )?query:\s*/i, '')
    .replace(/^["'“”]+|["'“”]+$/g, '')
    .trim()
    .slice(0, MAX_QUERY_CHARS);
}
