/**
 * Compatible APIs (issue 12): gateway CPU per chat turn on each channel, against the chat UI's
 * own SSE endpoint (`POST /api/chat`) as the baseline measured in the same run. The compiled
 * gateway runs as a child process with the production flags; a worker double streams a fixed
 * answer; the gateway's CPU time comes from /proc before and after each block of turns. Blocks
 * alternate between channels, twice, so no channel always runs on a warmer process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { buildGateway, cpuMs, PRODUCTION_NODE_OPTIONS, startGatewayChild } from './gateway.bench.js';
import type { BenchSection } from './types.js';

const secret = 'bench-secret-0123456789abcdef';
const apiKey = 'bench-api-key-0123456789abcdef';
const TURNS_PER_BLOCK = 300;
const ROUNDS = 2;
const WARMUP_TURNS = 50;
const question = 'Which restaurant has the best pasta?';

interface Channel {
  name: string;
  turn(url: string): Promise<void>;
}

async function consume(response: Response, expected: string): Promise<void> {
  if (response.status !== 200) throw new Error(`answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  if (!text.includes(expected)) throw new Error(`the answer did not end with ${expected}`);
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` } });

const channels: Channel[] = [
  { name: 'chat UI SSE `POST /api/chat` (baseline)', turn: async (url) => consume(await post(`${url}/api/chat`, { message: question }), 'answer-end') },
  {
    name: 'OpenAI `POST /v1/chat/completions`, stream',
    turn: async (url) => consume(await post(`${url}/v1/chat/completions`, { model: 'review-assistant', messages: [{ role: 'user', content: question }], stream: true }), '[DONE]'),
  },
  {
    name: 'OpenAI `POST /v1/chat/completions`, not streamed',
    turn: async (url) => consume(await post(`${url}/v1/chat/completions`, { model: 'review-assistant', messages: [{ role: 'user', content: question }] }), '"finish_reason":"stop"'),
  },
  {
    name: 'Ollama `POST /ollama/api/chat`, stream',
    turn: async (url) => consume(await post(`${url}/ollama/api/chat`, { model: 'review-assistant', messages: [{ role: 'user', content: question }] }), '"done":true'),
  },
];

export async function run(): Promise<BenchSection> {
  const compiled = await buildGateway();
  const worker = await startWorkerDouble({ secret, answer: 'The pasta at Casa Olivo is praised in many reviews for being fresh and generous [r1], and the staff are friendly [r2]. ' });
  const dataDir = await mkdtemp(join(tmpdir(), 'compat-bench-'));
  const gateway = await startGatewayChild(
    {
      WORKER_URLS: worker.url,
      WORKER_SHARED_SECRET: secret,
      DATA_DIR: dataDir,
      API_KEYS: apiKey,
      CHAT_RATE_LIMIT_BURST: '100000',
      CHAT_RATE_LIMIT_PER_MINUTE: '1000000',
      API_KEY_RATE_LIMIT_BURST: '100000',
      API_KEY_RATE_LIMIT_PER_MINUTE: '1000000',
      NODE_OPTIONS: PRODUCTION_NODE_OPTIONS,
    },
    compiled,
  );
  try {
    const pid = gateway.child.pid!;
    for (const channel of channels) for (let index = 0; index < WARMUP_TURNS; index += 1) await channel.turn(gateway.url);
    const cpu = new Map<string, number>(channels.map((channel) => [channel.name, 0]));
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? channels : [...channels].reverse();
      for (const channel of order) {
        const before = await cpuMs(pid);
        for (let index = 0; index < TURNS_PER_BLOCK; index += 1) await channel.turn(gateway.url);
        cpu.set(channel.name, cpu.get(channel.name)! + (await cpuMs(pid)) - before);
      }
    }
    const perTurn = (name: string) => cpu.get(name)! / (TURNS_PER_BLOCK * ROUNDS);
    const baseline = perTurn(channels[0]!.name);
    const rows = channels.map((channel) => `| ${channel.name} | ${perTurn(channel.name).toFixed(2)} ms | ${(perTurn(channel.name) / baseline).toFixed(2)}× |`);
    return {
      title: 'Compatible APIs: gateway CPU per chat turn by channel',
      markdown: [
        `Gateway ${gateway.mode}, \`NODE_OPTIONS=${PRODUCTION_NODE_OPTIONS}\`, against a worker double streaming a ${worker.options.answer!.split(' ').length}-word answer with two sources; ${ROUNDS} blocks of ${TURNS_PER_BLOCK} sequential turns per channel (alternating order, after ${WARMUP_TURNS} warm-up turns each). CPU time (user + system) of the gateway process from /proc, per turn.`,
        '',
        '| channel | gateway CPU per turn | vs the chat UI\'s SSE |',
        '| --- | --- | --- |',
        ...rows,
        '',
        'The compatible routes add the API-key check and per-key bucket and re-frame every event in their protocol (citation numbering, chunk objects); like the chat UI\'s SSE route they write straight to the Node response. Through Hono\'s web-stream helper (the first version) a streamed turn cost about twice the baseline (2.04× OpenAI, 1.83× Ollama in an earlier run of this bench).',
      ].join('\n'),
    };
  } finally {
    await gateway.stop();
    await worker.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
