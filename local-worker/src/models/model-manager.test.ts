import { afterEach, describe, expect, it } from 'vitest';
import { OllamaDouble } from '../testing/ollama-double.js';
import { OllamaModelManager, probeOllama } from './model-manager.js';
import type { PullProgress } from './model-manager.js';

describe('OllamaModelManager', () => {
  let ollama: OllamaDouble | undefined;
  afterEach(async () => {
    await ollama?.close();
    ollama = undefined;
  });

  const models = [
    { name: 'llama3.2', role: 'chat' as const },
    { name: 'mxbai-embed-large', role: 'embed' as const },
  ];

  it('finds Ollama through /api/tags and lists its models', async () => {
    ollama = await OllamaDouble.start();
    await expect(probeOllama({ baseURL: ollama.url }, 1000)).resolves.toEqual({
      reachable: true,
      models: ['llama3.2:latest', 'mxbai-embed-large:latest'],
    });
  });

  it('says Ollama is unreachable when /api/tags does not answer in time', async () => {
    ollama = await OllamaDouble.start();
    ollama.setFault('/api/tags', 'hang');
    const result = await probeOllama({ baseURL: ollama.url }, 150);
    expect(result).toEqual({ reachable: false, reason: 'no answer within 150 ms' });
  });

  it('preloads installed models with keep_alive and reports them ready', async () => {
    ollama = await OllamaDouble.start();
    const manager = new OllamaModelManager({ baseURL: ollama.url, models, keepAlive: '1h' });
    expect(manager.isWarmingUp()).toBe(true);
    const status = await manager.prepare({ pull: true });
    expect(status.map((model) => [model.name, model.state])).toEqual([
      ['llama3.2', 'ready'],
      ['mxbai-embed-large', 'ready'],
    ]);
    expect(manager.isWarmingUp()).toBe(false);
    expect(ollama.callsTo('/api/pull')).toHaveLength(0);
    expect(ollama.callsTo('/api/chat')[0]?.body).toEqual({ model: 'llama3.2', messages: [], keep_alive: '1h', stream: false });
    expect(ollama.callsTo('/api/embed')[0]?.body).toMatchObject({ model: 'mxbai-embed-large', input: [], keep_alive: '1h' });
    await manager.refreshLoaded();
    expect(manager.status()[0]?.detail).toMatch(/^in memory until /);
  });

  it('pulls a missing model, streaming progress, then preloads it', async () => {
    ollama = await OllamaDouble.start({ models: [{ name: 'mxbai-embed-large:latest' }] });
    const progress: PullProgress[] = [];
    const manager = new OllamaModelManager({ baseURL: ollama.url, models, onPullProgress: (line) => progress.push(line) });
    const status = await manager.prepare({ pull: true });
    expect(status.every((model) => model.state === 'ready')).toBe(true);
    expect(ollama.callsTo('/api/pull').map((call) => call.body)).toEqual([{ name: 'llama3.2', stream: true }]);
    expect(progress[0]?.status).toBe('pulling manifest');
    expect(progress.at(-1)?.status).toBe('success');
    const completed = progress.flatMap((line) => (line.completed === null || line.completed === undefined ? [] : [line.completed]));
    expect(completed.length).toBeGreaterThan(2);
    expect(completed).toEqual([...completed].sort((a, b) => a - b));
    expect(ollama.installedModels()).toContain('llama3.2:latest');
  });

  it('reports a model as missing without pulling when pulls are off', async () => {
    ollama = await OllamaDouble.start({ models: [{ name: 'mxbai-embed-large:latest' }] });
    const manager = new OllamaModelManager({ baseURL: ollama.url, models });
    const status = await manager.prepare({ pull: false });
    expect(status[0]).toMatchObject({ name: 'llama3.2', state: 'missing' });
    expect(status[0]?.detail).toContain('ollama pull llama3.2');
    expect(status[1]).toMatchObject({ name: 'mxbai-embed-large', state: 'ready' });
  });

  it('marks a model whose pull fails as error, with the reason', async () => {
    ollama = await OllamaDouble.start({ models: [], pullable: [] });
    const manager = new OllamaModelManager({ baseURL: ollama.url, models, onPullProgress: () => undefined });
    const status = await manager.prepare({ pull: true });
    expect(status[0]).toMatchObject({ state: 'error' });
    expect(status[0]?.detail).toContain('file does not exist');
  });

  it('prints plain progress lines when no reporter is given and stderr is not a terminal', async () => {
    ollama = await OllamaDouble.start({ models: [] });
    const lines: string[] = [];
    const manager = new OllamaModelManager({ baseURL: ollama.url, models: [models[0]!], log: (line) => lines.push(line) });
    await manager.pull('llama3.2');
    expect(lines[0]).toBe('pull llama3.2: pulling manifest');
    expect(lines.some((line) => /pull llama3\.2: pulling \w+ 50% \(2000000\/4000000 bytes\)/.test(line))).toBe(true);
    expect(lines.at(-1)).toBe('pull llama3.2: success');
  });
});
