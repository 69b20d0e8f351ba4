import { AppError, ChatRequestSchema, MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS, type ChatRequest, type ChatTurn, type GenerationOptions } from '@review-assistant/shared';
import { describeIssues } from '@review-assistant/shared/edge';

/** One message of an OpenAI or Ollama conversation, with its text already extracted. */
export interface ConversationMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  text: string;
}

/** The sources list the compatible APIs append to an answer (`CitationNumbering.footer`). */
const SOURCES_FOOTER = /\n\nSources:\n\[\d+\][\s\S]*$/;
const MAX_HISTORY_CHARS = MAX_MESSAGE_CHARS * 2;

/**
 * Turns a client's conversation into the gateway's chat request: the last message must be the
 * user's question; earlier user and assistant messages become the history (the most recent
 * `MAX_HISTORY_TURNS`, each cut to the history limit, our own sources list removed from earlier
 * answers). System and developer messages are left out: the worker's grounded prompt is the
 * system prompt, and a client's cannot widen what the assistant answers from.
 */
export function toChatRequest(messages: readonly ConversationMessage[], extras: { sessionId?: string; generation?: GenerationOptions } = {}): ChatRequest {
  const turns = messages.filter((message) => message.role === 'user' || message.role === 'assistant');
  const last = turns.at(-1);
  if (!last || last.role !== 'user' || messages.at(-1)?.role !== 'user') {
    throw new AppError('validation_failed', 'messages: the last message must be the user\'s question (role "user")');
  }
  const history: ChatTurn[] = turns.slice(0, -1).slice(-MAX_HISTORY_TURNS).map((turn) => ({
    role: turn.role as ChatTurn['role'],
    content: (turn.role === 'assistant' ? turn.text.replace(SOURCES_FOOTER, '') : turn.text).slice(0, MAX_HISTORY_CHARS),
  }));
  const generation = Object.fromEntries(Object.entries(extras.generation ?? {}).filter(([, value]) => value !== undefined));
  const candidate = {
    message: last.text,
    ...(history.length > 0 ? { history } : {}),
    ...(extras.sessionId ? { sessionId: extras.sessionId } : {}),
    ...(Object.keys(generation).length > 0 ? { generation } : {}),
  };
  const parsed = ChatRequestSchema.safeParse(candidate);
  if (!parsed.success) throw new AppError('validation_failed', `messages: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
