import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue, WsServerMessageSchema } from '@review-assistant/shared';
import { startWorkerDouble, type WorkerDouble } from '@review-assistant/cloud-gateway/testing';
import type { CompiledService } from './support/compiled-service.js';
import { bodyArbitrary } from './support/fuzz-arbitraries.js';
import { sendProbe } from './support/http-probe.js';
import { canarySecret, startGatewayProcess, tempDir } from './support/stack.js';

/**
 * Fuzzes the frames of `WS /ws/chat` on the compiled gateway (a worker double behind it): random
 * text and binary frames, JSON of every shape, valid and invalid chat and cancel commands, huge
 * frames. Every message the gateway sends back is a well-formed `{turnId, event}`, errors carry a
 * catalogue code, a socket is closed only with a protocol close code (never 1011, internal error),
 * and the process stays up.
 */

const SECRET = canarySecret('ws-fuzz');
const CONNECTIONS = 60;
const PROTOCOL_CLOSE_CODES = new Set([1000, 1001, 1003, 1005, 1006, 1007, 1008, 1009]);

let worker: WorkerDouble;
let gateway: CompiledService;
let dirs: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  worker = await startWorkerDouble({ secret: SECRET, workerId: 'ws-fuzz' });
  dirs = await tempDir('ws-fuzz');
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: dirs.path,
    workerUrls: [worker.url],
    env: { CHAT_RATE_LIMIT_PER_MINUTE: '100000', CHAT_RATE_LIMIT_BURST: '100000', WS_MAX_CONNECTIONS_PER_IP: '1000' },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await worker?.close();
  await dirs?.cleanup();
});

const turnId = fc.oneof(fc.constantFrom('t1', 't2', '', 'x'.repeat(65)), fc.string({ maxLength: 10 }));
const chatCommand = fc.record({ type: fc.constant('chat'), turnId, request: fc.record({ message: fc.oneof(fc.constantFrom('hello', 'Which restaurant has good pasta?', ''), fc.string({ maxLength: 40 })) }) });
const cancelCommand = fc.record({ type: fc.constant('cancel'), turnId });
const frame: fc.Arbitrary<{ data: Buffer | string; binary: boolean }> = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(chatCommand, cancelCommand).map((command) => ({ data: JSON.stringify(command), binary: false })) },
  { weight: 3, arbitrary: bodyArbitrary.map((body) => ({ data: (body ?? Buffer.alloc(0)).toString('utf8'), binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })) },
  { weight: 1, arbitrary: fc.constant({ data: JSON.stringify({ type: 'chat', turnId: 'big', request: { message: 'x'.repeat(300_000) } }), binary: false }) },
);

interface Session {
  messages: unknown[];
  closeCode: number | undefined;
  problems: string[];
}

/** Opens a socket as the chat page would (same-origin), sends the frames, then waits a moment for answers. */
function session(frames: { data: Buffer | string; binary: boolean }[]): Promise<Session> {
  return new Promise((resolve) => {
    const result: Session = { messages: [], closeCode: undefined, problems: [] };
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws/chat`, { origin: gateway.url });
    const finish = () => {
      clearTimeout(timer);
      socket.terminate();
      resolve(result);
    };
    const timer = setTimeout(finish, 3000);
    socket.on('open', () => {
      for (const { data, binary } of frames) socket.send(data, { binary });
      setTimeout(finish, 400);
    });
    socket.on('message', (data: Buffer) => {
      try {
        result.messages.push(JSON.parse(data.toString('utf8')));
      } catch {
        result.problems.push(`not JSON: ${data.toString('utf8').slice(0, 100)}`);
      }
    });
    socket.on('close', (code) => {
      result.closeCode = code;
      finish();
    });
    socket.on('unexpected-response', (_request, response) => {
      result.problems.push(`upgrade refused with ${response.statusCode}`);
      finish();
    });
    socket.on('error', () => undefined);
  });
}

describe('WebSocket fuzzing (compiled gateway)', () => {
  it(`answers ${CONNECTIONS} sockets of random frames with well-formed messages and protocol close codes only`, async () => {
    const seed = Date.now() ^ Math.floor(Math.random() * 0x7fffffff);
    let frames = 0;
    const problems: string[] = [];
    const closeCodes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 5 }), async (sent) => {
        frames += sent.length;
        const result = await session(sent);
        problems.push(...result.problems);
        for (const message of result.messages) {
          const parsed = WsServerMessageSchema.safeParse(message);
          if (!parsed.success) problems.push(`malformed message: ${JSON.stringify(message).slice(0, 200)}`);
          else if (parsed.data.event.type === 'error' && !(parsed.data.event.code in errorCatalogue)) problems.push(`unknown error code ${parsed.data.event.code}`);
        }
        if (result.closeCode !== undefined) {
          closeCodes.set(result.closeCode, (closeCodes.get(result.closeCode) ?? 0) + 1);
          if (!PROTOCOL_CLOSE_CODES.has(result.closeCode)) problems.push(`closed with ${result.closeCode}`);
        }
        if (!gateway.alive()) problems.push('the gateway died');
      }),
      { numRuns: CONNECTIONS, seed, endOnFailure: true },
    );
    console.info(`[faults] WebSocket fuzz: ${CONNECTIONS} sockets, ${frames} frames, close codes ${JSON.stringify(Object.fromEntries(closeCodes))}, seed ${seed}`);
    expect([...new Set(problems)], `seed ${seed}`).toEqual([]);
    expect(gateway.alive(), gateway.output().slice(-2000)).toBe(true);
    const health = await sendProbe(gateway.url, { method: 'GET', path: '/healthz' });
    expect(health.kind === 'response' && health.status).toBe(200);
  });
});
