import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTurn, StreamEvent } from '@review-assistant/shared';
import type { RoutingPolicy } from '../routing/policy.js';
import { keywordIntentService, testPolicy } from '../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from '../testing/worker-double.js';
import { WorkerPool } from '../pool/worker-pool.js';
import type { ChatTurnOutcome } from './chat-turn-outcome.js';
import { admitTurn, runChatTurn, type ChatTurnDeps } from './chat-turn.js';
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

/** What a route does first: admission (which must admit these turns). */
function admitted(deps: ChatTurnDeps, request: { message: string; history?: ChatTurn[] }, signal: AbortSignal) {
  const admission = admitTurn(deps, request, logger, signal);
  if (admission.refusal) throw admission.refusal;
  return admission.admitted;
}
const doubles: WorkerDouble[] = [];
afterEach(async () => {
  while (doubles.length > 0) await doubles.pop()?.close();
});

async function run(pool: WorkerPool, message: string, signal = new AbortController().signal) {
  const { recorder, turns } = recordingRecorder();
  const events: StreamEvent[] = [];
  const deps = { intent: keywordIntentService(), policy: testPolicy, pool, recorder };
  for await (const event of runChatTurn(deps, { message }, { requestId: 'r-1', channel: 'openai', signal, logger, admitted: admitted(deps, { message }, signal) })) events.push(event);
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
    for await (const event of runChatTurn(deps, { message: 'pasta?' }, { requestId: 'r-2', channel: 'ws', signal: controller.signal, logger, admitted: admitted(deps, { message: 'pasta?' }, controller.signal) })) {
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
    const request = { message: 'hello, when does it close?', history };
    const signal = new AbortController().signal;
    for await (const event of runChatTurn(deps, request, { requestId: 'r-3', channel: 'sse', signal, logger, admitted: admitted(deps, request, signal) })) void event;
    expect(seen).toEqual([{ message: 'hello, when does it close?', history }]);
  });

  it('gives the capacity reserved at admission back when the turn ends before it reaches a worker (client gone after the intent)', async () => {
    const double = await startWorkerDouble();
    doubles.push(double);
    const pool = new WorkerPool({ staticUrls: [double.url], concurrency: 1, maxQueue: 0 });
    const { recorder } = recordingRecorder();
    const deps = { intent: keywordIntentService(), policy: testPolicy, pool, recorder };
    const signal = new AbortController().signal;
    const turn = admitted(deps, { message: 'pasta?' }, signal);
    expect(turn.reservation?.worker.id).toBe('static-1');
    // the pool is full now: the next worker turn is refused, small talk is not
    expect(admitTurn(deps, { message: 'more pasta?' }, logger, signal).refusal).toMatchObject({ code: 'worker_busy', isRetryable: true });
    expect(admitTurn(deps, { message: 'hello' }, logger, signal).admitted?.decision.route).toBe('smalltalk');
    for await (const event of runChatTurn(deps, { message: 'pasta?' }, { requestId: 'r-4', channel: 'sse', signal, logger, admitted: turn })) {
      expect(event.type).toBe('intent');
      break;
    }
    expect(pool.snapshot()[0]).toMatchObject({ active: 0, queue: 0 });
    expect(double.calls).toEqual([]);
    expect(admitTurn(deps, { message: 'more pasta?' }, logger, signal).admitted?.reservation).toBeDefined();
  });

  it('gives the reservation back when the client goes away before the turn ever starts', async () => {
    const double = await startWorkerDouble();
    doubles.push(double);
    const pool = new WorkerPool({ staticUrls: [double.url], concurrency: 1, maxQueue: 1 });
    const deps = { intent: keywordIntentService(), policy: testPolicy, pool, recorder: recordingRecorder().recorder };
    const client = new AbortController();
    const turns = [admitted(deps, { message: 'pasta?' }, client.signal), admitted(deps, { message: 'tiramisu?' }, client.signal)];
    expect(pool.snapshot()[0]).toMatchObject({ active: 1, queue: 1 });
    client.abort();
    expect(pool.snapshot()[0]).toMatchObject({ active: 0, queue: 0 });
    expect(turns.map((turn) => turn.reservation?.slot.granted)).toEqual([false, false]);
    const gone = new AbortController();
    gone.abort();
    expect(admitted(deps, { message: 'pasta?' }, gone.signal).reservation).toBeDefined();
    expect(pool.snapshot()[0]).toMatchObject({ active: 0, queue: 0 });
  });
});
