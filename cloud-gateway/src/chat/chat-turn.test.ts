import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTurn, StreamEvent } from '@review-assistant/shared';
import type { RoutingPolicy } from '../routing/policy.js';
import { keywordIntentService, testPolicy } from '../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from '../testing/worker-double.js';
import { WorkerPool } from '../pool/worker-pool.js';
import type { ChatTurnOutcome } from './chat-turn-outcome.js';
import { runChatTurn } from './chat-turn.js';
import type { TurnRecorder, TurnStart } from './turn-recorder.js';

/** A recorder double: keeps what runChatTurn tells it. */
function recordingRecorder() {
  const turns: { start: TurnStart; events: StreamEvent[]; workerId: string | null; outcomes: ChatTurnOutcome[] }[] = [];
  const recorder: TurnRecorder = {
    start(start) {
      const turn = { start, events: [] as StreamEvent[], workerId: null as string | null, outcomes: [] as ChatTurnOutcome[] };
      turns.push(turn);
      return {
        observe: (event) => void turn.events.push(event),
        workerAssigned: (id) => void (turn.workerId = id),
        finish: (outcome) => {
          turn.outcomes.push(outcome);
          return {} as never;
        },
      };
    },
  };
  return { recorder, turns };
}

const logger = pino({ level: 'silent' });
const doubles: WorkerDouble[] = [];
afterEach(async () => {
  while (doubles.length > 0) await doubles.pop()?.close();
});

async function run(pool: WorkerPool, message: string, signal = new AbortController().signal) {
  const { recorder, turns } = recordingRecorder();
  const events: StreamEvent[] = [];
  const deps = { intent: keywordIntentService(), policy: testPolicy, pool, recorder };
  for await (const event of runChatTurn(deps, { message }, { requestId: 'r-1', channel: 'openai', signal, logger })) events.push(event);
  return { events, turn: turns[0]! };
}

describe('runChatTurn', () => {
  it('closes the recording once with an ok outcome after the gateway answers small talk', async () => {
    const { events, turn } = await run(new WorkerPool(), 'hello there');
    expect(events.map((event) => event.type)).toEqual(['intent', 'answer-delta', 'answer-end']);
    expect(turn.start).toMatchObject({ channel: 'openai', route: 'smalltalk', requestId: 'r-1' });
    expect(turn.events).toEqual(events);
    expect(turn.outcomes).toEqual([{ kind: 'ok' }]);
  });

  it('reports a failed outcome with the error code when no worker is available', async () => {
    const { events, turn } = await run(new WorkerPool(), 'which place has the best pasta?');
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'no_worker' });
    expect(turn.outcomes).toEqual([{ kind: 'failed', code: 'no_worker', retryable: true }]);
  });

  it('names the worker that served it and reports cancelled when the caller aborts mid-stream', async () => {
    const double = await startWorkerDouble({ tokenDelayMs: 30, answer: 'one two three four five six seven eight nine ten' });
    doubles.push(double);
    const controller = new AbortController();
    const { recorder, turns } = recordingRecorder();
    const deps = { intent: keywordIntentService(), policy: testPolicy, pool: new WorkerPool({ staticUrls: [double.url] }), recorder };
    for await (const event of runChatTurn(deps, { message: 'pasta?' }, { requestId: 'r-2', channel: 'ws', signal: controller.signal, logger })) {
      if (event.type === 'answer-delta') controller.abort();
    }
    expect(turns[0]!.workerId).toBe('static-1');
    expect(turns[0]!.outcomes).toEqual([{ kind: 'cancelled' }]);
    await double.waitFor((call) => call.path === '/v1/chat' && call.aborted, 5000);
  });

  it('gives the routing policy the conversation before the message, not only the message', async () => {
    const seen: Array<{ message: string; history: readonly ChatTurn[] | undefined }> = [];
    const policy: RoutingPolicy = {
      decide(prediction, message, history) {
        seen.push({ message, history });
        return testPolicy.decide(prediction, message, history);
      },
    };
    const { recorder } = recordingRecorder();
    const history: ChatTurn[] = [
      { role: 'user', content: 'How is the service at Luigi’s?' },
      { role: 'assistant', content: 'Reviewers praise the friendly waiters.' },
    ];
    const deps = { intent: keywordIntentService(), policy, pool: new WorkerPool(), recorder };
    for await (const event of runChatTurn(deps, { message: 'hello, when does it close?', history }, { requestId: 'r-3', channel: 'sse', signal: new AbortController().signal, logger })) void event;
    expect(seen).toEqual([{ message: 'hello, when does it close?', history }]);
  });
});
