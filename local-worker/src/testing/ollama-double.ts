import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP double of the Ollama REST subset the worker calls (tests only; Ollama cannot run
 * here). Response shapes follow Ollama's API reference (docs/api.md in ollama/ollama):
 * `GET /api/tags`, `GET /api/ps`, `POST /api/show`, `POST /api/pull` (streamed progress),
 * `POST /api/embed`, `POST /api/chat` (streamed NDJSON, or one object with `stream: false`).
 * Like Ollama it refuses chat with a model that lacks the `completion` capability (400 `"<model>"
 * does not support chat`), stops at `options.num_predict` tokens with `done_reason: "length"`, and
 * (with `loadDelayMs`) takes a while before the first byte when a model is not loaded yet.
 * It records every call, can inject faults, and notices when a client hangs up early.
 */

/** Faults a test can switch on per endpoint path (e.g. `/api/chat`). */
export type OllamaFault =
  /** each JSON line is written in two halves, in separate network writes */
  | 'split-json-lines'
  /** a few tokens, then an `{"error": ...}` line (how Ollama reports failures mid-stream) */
  | 'error-mid-stream'
  /** accepts the request and never answers (no status line) */
  | 'hang'
  /** sends the status line and a few tokens, then goes silent */
  | 'stall-mid-stream'
  /** answers HTTP 500 with an Ollama error body */
  | 'http-500'
  /** answers 503 like an Ollama whose request queue is full (OLLAMA_MAX_QUEUE) */
  | 'server-busy'
  /** each JSON line is cut inside a multi-byte UTF-8 sequence (when it has one), in separate network writes */
  | 'split-utf8-sequences';

export interface OllamaDoubleModel {
  /** e.g. `llama3.2:latest` */
  name: string;
  family?: string;
  parameterSize?: string;
  capabilities?: string[];
}

export interface RecordedOllamaCall {
  method: string;
  path: string;
  body: unknown;
  at: number;
}

export interface OllamaDoubleOptions {
  /** Installed models. @default llama3.2:latest and mxbai-embed-large:latest */
  models?: OllamaDoubleModel[];
  /** Models `/api/pull` can fetch. @default every model name asked for */
  pullable?: string[] | 'any';
  /** Tokens of the assistant reply for a chat request. @default a reply citing the first review id in the prompt */
  reply?: (messages: { role: string; content: string }[]) => string[];
  /** Delay between streamed chat tokens. @default 0 */
  tokenDelayMs?: number;
  /** Length of embedding vectors. @default 16 */
  embeddingDimensions?: number;
  /**
   * Time a cold model takes to load: the first request for a model that is not loaded waits this
   * long before any byte is sent (Ollama loads before it answers; tens of seconds for a large model
   * on a cold GPU). Reported as `load_duration`. @default 0
   */
  loadDelayMs?: number;
  /** Address to listen on; `0.0.0.0` plays an Ollama started with `OLLAMA_HOST=0.0.0.0`. @default 127.0.0.1 */
  listenHost?: string;
}

export interface ObservedDisconnect {
  path: string;
  at: number;
}

const DEFAULT_MODELS: OllamaDoubleModel[] = [
  { name: 'llama3.2:latest', family: 'llama', parameterSize: '3.2B', capabilities: ['completion', 'tools'] },
  { name: 'mxbai-embed-large:latest', family: 'bert', parameterSize: '334M', capabilities: ['embedding'] },
];

export class OllamaDouble {
  readonly calls: RecordedOllamaCall[] = [];
  readonly disconnects: ObservedDisconnect[] = [];
  /** Model names currently "in memory" (set by chat/embed, listed by `/api/ps`). */
  readonly loaded = new Map<string, string>();
  private readonly faults = new Map<string, OllamaFault>();
  private readonly installed = new Map<string, OllamaDoubleModel>();
  private readonly disconnectWaiters: { path: string; resolve: (value: ObservedDisconnect) => void }[] = [];
  private readonly openResponses = new Set<ServerResponse>();
  private url_ = '';

  private constructor(
    private readonly server: Server,
    private readonly options: OllamaDoubleOptions,
  ) {
    for (const model of options.models ?? DEFAULT_MODELS) this.installed.set(model.name, model);
  }

  /** Starts the double on an ephemeral port (127.0.0.1 unless `listenHost` says otherwise); its URL always names 127.0.0.1. */
  static async start(options: OllamaDoubleOptions = {}): Promise<OllamaDouble> {
    const server = createServer();
    const double = new OllamaDouble(server, options);
    server.on('request', (request, response) => {
      void double.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, options.listenHost ?? '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    double.url_ = `http://127.0.0.1:${address.port}`;
    return double;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234` (use as OLLAMA_HOST). */
  get url(): string {
    return this.url_;
  }

  setFault(path: string, fault: OllamaFault | null): void {
    if (fault === null) this.faults.delete(path);
    else this.faults.set(path, fault);
  }

  installedModels(): string[] {
    return [...this.installed.keys()];
  }

  callsTo(path: string): RecordedOllamaCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  /** Resolves when a client closes a request to `path` before its response ended. */
  waitForDisconnect(path: string): Promise<ObservedDisconnect> {
    const seen = this.disconnects.find((item) => item.path === path);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.disconnectWaiters.push({ path, resolve }));
  }

  async close(): Promise<void> {
    for (const response of this.openResponses) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    this.openResponses.add(response);
    response.on('close', () => {
      this.openResponses.delete(response);
      if (!response.writableFinished) this.recordDisconnect(path);
    });
    const raw = await readBody(request);
    let body: unknown = null;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        this.calls.push({ method: request.method ?? 'GET', path, body: raw, at: Date.now() });
        return sendJson(response, 400, { error: 'invalid character in request body' });
      }
    }
    this.calls.push({ method: request.method ?? 'GET', path, body, at: Date.now() });
    const fault = this.faults.get(path);
    if (fault === 'hang') return; // never answer; the client must time out or hang up
    if (fault === 'http-500') return sendJson(response, 500, { error: 'llama runner process has terminated: exit status 2' });
    if (fault === 'server-busy') return sendJson(response, 503, { error: 'server busy, please try again.  maximum pending requests exceeded' });
    const fields = isRecord(body) ? body : {};
    const route = `${request.method ?? 'GET'} ${path}`;
    switch (route) {
      case 'GET /api/tags':
        return sendJson(response, 200, { models: [...this.installed.values()].map((model) => describeModel(model)) });
      case 'GET /api/ps':
        return sendJson(response, 200, {
          models: [...this.loaded.entries()].flatMap(([name, expiresAt]) => {
            const model = this.installed.get(name);
            return model ? [{ ...describeModel(model), expires_at: expiresAt, size_vram: 0 }] : [];
          }),
        });
      case 'GET /api/version':
        return sendJson(response, 200, { version: '0.12.6' });
      case 'POST /api/show':
        return this.show(response, fields);
      case 'POST /api/pull':
        return this.pull(response, fields, fault);
      case 'POST /api/embed':
        return this.embed(response, fields);
      case 'POST /api/chat':
        return this.chat(response, fields, fault);
      default:
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('404 page not found');
    }
  }

  private findModel(name: unknown): OllamaDoubleModel | undefined {
    if (typeof name !== 'string') return undefined;
    return this.installed.get(name) ?? this.installed.get(`${name}:latest`);
  }

  /** Waits `loadDelayMs` when the model is not loaded yet; returns the load time in nanoseconds. */
  private async coldLoad(model: OllamaDoubleModel): Promise<number> {
    const delay = this.options.loadDelayMs ?? 0;
    if (delay <= 0 || this.loaded.has(model.name)) return 1_334_875;
    await sleep(delay);
    return delay * 1_000_000;
  }

  private markLoaded(model: OllamaDoubleModel, keepAlive: unknown): void {
    if (keepAlive === 0 || keepAlive === '0') {
      this.loaded.delete(model.name);
      return;
    }
    this.loaded.set(model.name, new Date(Date.now() + 5 * 60_000).toISOString());
  }

  private show(response: ServerResponse, fields: Record<string, unknown>): void {
    const model = this.findModel(fields['model'] ?? fields['name']);
    if (!model) return sendJson(response, 404, { error: `model '${String(fields['model'] ?? fields['name'])}' not found` });
    sendJson(response, 200, {
      modelfile: `FROM ${model.name}`,
      parameters: 'stop "<|eot_id|>"',
      template: '{{ .Prompt }}',
      details: describeModel(model).details,
      model_info: { 'general.architecture': model.family ?? 'llama', 'general.parameter_count': 3_212_749_888 },
      capabilities: model.capabilities ?? ['completion'],
      modified_at: '2025-01-01T00:00:00Z',
    });
  }

  private async pull(response: ServerResponse, fields: Record<string, unknown>, fault: OllamaFault | undefined): Promise<void> {
    const name = fields['model'] ?? fields['name'];
    if (typeof name !== 'string' || name.length === 0) return sendJson(response, 400, { error: 'model is required' });
    const pullable = this.options.pullable ?? 'any';
    const known = pullable === 'any' || pullable.includes(name) || pullable.includes(name.replace(/:latest$/, ''));
    const fullName = name.includes(':') ? name : `${name}:latest`;
    const digest = `sha256:${createHash('sha256').update(fullName).digest('hex')}`;
    const total = 4_000_000;
    const lines: unknown[] = known
      ? [
          { status: 'pulling manifest' },
          ...[0, 1, 2, 3, 4].map((step) => ({ status: `pulling ${digest.slice(7, 19)}`, digest, total, completed: (total / 4) * step })),
          { status: 'verifying sha256 digest' },
          { status: 'writing manifest' },
          { status: 'success' },
        ]
      : [{ status: 'pulling manifest' }, { error: 'pull model manifest: file does not exist' }];
    if (fields['stream'] === false) {
      if (!known) return sendJson(response, 500, { error: 'pull model manifest: file does not exist' });
      this.installed.set(fullName, { name: fullName });
      return sendJson(response, 200, { status: 'success' });
    }
    const written = await this.streamLines(response, lines, fault);
    if (written && known) this.installed.set(fullName, { name: fullName });
  }

  private async embed(response: ServerResponse, fields: Record<string, unknown>): Promise<void> {
    const model = this.findModel(fields['model']);
    if (!model) return sendJson(response, 404, { error: `model "${String(fields['model'])}" not found, try pulling it first` });
    const input = fields['input'];
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map(String) : [];
    const loadDuration = await this.coldLoad(model);
    if (response.destroyed) return;
    this.markLoaded(model, fields['keep_alive']);
    const dimensions = this.options.embeddingDimensions ?? 16;
    sendJson(response, 200, {
      model: fields['model'],
      embeddings: texts.map((text) => hashVector(text, dimensions)),
      total_duration: 14_143_917 + loadDuration,
      load_duration: loadDuration,
      prompt_eval_count: texts.reduce((sum, text) => sum + text.split(/\s+/).filter(Boolean).length, 0),
    });
  }

  private async chat(response: ServerResponse, fields: Record<string, unknown>, fault: OllamaFault | undefined): Promise<void> {
    const model = this.findModel(fields['model']);
    if (!model) return sendJson(response, 404, { error: `model "${String(fields['model'])}" not found, try pulling it first` });
    if (!(model.capabilities ?? ['completion']).includes('completion')) {
      return sendJson(response, 400, { error: `"${String(fields['model'])}" does not support chat` });
    }
    const messages = Array.isArray(fields['messages'])
      ? fields['messages'].filter(isRecord).map((message) => ({ role: String(message['role']), content: String(message['content'] ?? '') }))
      : [];
    const loadDuration = await this.coldLoad(model);
    if (response.destroyed) return;
    this.markLoaded(model, fields['keep_alive']);
    const createdAt = new Date().toISOString();
    if (messages.length === 0) {
      // "If the messages array is empty, the model will be loaded into memory."
      return sendJson(response, 200, {
        model: fields['model'],
        created_at: createdAt,
        message: { role: 'assistant', content: '' },
        done_reason: fields['keep_alive'] === 0 ? 'unload' : 'load',
        done: true,
      });
    }
    const reply = (this.options.reply ?? defaultReply)(messages);
    // options.num_predict caps the generated tokens (one token per reply part here)
    const numPredict = isRecord(fields['options']) ? fields['options']['num_predict'] : undefined;
    const cut = typeof numPredict === 'number' && numPredict >= 0 && numPredict < reply.length;
    const tokens = cut ? reply.slice(0, numPredict) : reply;
    const promptEvalCount = messages.reduce((sum, message) => sum + message.content.split(/\s+/).filter(Boolean).length, 0);
    const final = {
      model: fields['model'],
      created_at: createdAt,
      message: { role: 'assistant', content: '' },
      done_reason: cut ? 'length' : 'stop',
      done: true,
      total_duration: 4_883_583_458 + loadDuration,
      load_duration: loadDuration,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: 342_546_000,
      eval_count: tokens.length,
      eval_duration: 4_535_599_000,
    };
    if (fields['stream'] === false) {
      return sendJson(response, 200, { ...final, message: { role: 'assistant', content: tokens.join('') } });
    }
    const lines: unknown[] = tokens.map((token) => ({
      model: fields['model'],
      created_at: createdAt,
      message: { role: 'assistant', content: token },
      done: false,
    }));
    if (fault === 'error-mid-stream') {
      lines.splice(Math.min(2, lines.length), lines.length, { error: 'an error was encountered while running the model: unexpected EOF' });
    } else if (fault !== 'stall-mid-stream') {
      lines.push(final);
    }
    await this.streamLines(response, lines, fault);
  }

  /** Streams NDJSON lines; returns false when the client went away first. */
  private async streamLines(response: ServerResponse, lines: unknown[], fault: OllamaFault | undefined): Promise<boolean> {
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const delay = this.options.tokenDelayMs ?? 0;
    const stallAfter = fault === 'stall-mid-stream' ? Math.min(2, lines.length) : Number.POSITIVE_INFINITY;
    for (const [index, line] of lines.entries()) {
      if (response.destroyed) return false;
      if (index >= stallAfter) return false; // goes silent without ending: the socket stays open
      const text = `${JSON.stringify(line)}\n`;
      const bytes = Buffer.from(text, 'utf8');
      // split-json-lines: the middle of the line; split-utf8-sequences: after the first byte of its first multi-byte character
      const firstMultiByte = bytes.findIndex((byte) => byte >= 0xc0);
      const cut = fault === 'split-json-lines' ? Math.floor(bytes.length / 2) : fault === 'split-utf8-sequences' && firstMultiByte >= 0 ? firstMultiByte + 1 : -1;
      if (cut > 0) {
        response.write(bytes.subarray(0, cut));
        // a pause so the parts leave in separate TCP segments and reach the client as separate chunks
        await sleep(15);
        if (response.destroyed) return false;
        response.write(bytes.subarray(cut));
      } else {
        response.write(text);
      }
      if (delay > 0) await sleep(delay);
    }
    if (response.destroyed) return false;
    response.end();
    return true;
  }

  private recordDisconnect(path: string): void {
    const event = { path, at: Date.now() };
    this.disconnects.push(event);
    for (let index = this.disconnectWaiters.length - 1; index >= 0; index -= 1) {
      const waiter = this.disconnectWaiters[index];
      if (waiter && waiter.path === path) {
        this.disconnectWaiters.splice(index, 1);
        waiter.resolve(event);
      }
    }
  }
}

function describeModel(model: OllamaDoubleModel) {
  return {
    name: model.name,
    model: model.name,
    modified_at: '2025-01-01T00:00:00Z',
    size: 2_019_393_189,
    digest: createHash('sha256').update(model.name).digest('hex'),
    details: {
      parent_model: '',
      format: 'gguf',
      family: model.family ?? 'llama',
      families: [model.family ?? 'llama'],
      parameter_size: model.parameterSize ?? '3.2B',
      quantization_level: 'Q4_K_M',
    },
  };
}

/** Default reply: cites the first `<review id="...">` it finds in the prompt, in a few tokens. */
function defaultReply(messages: { role: string; content: string }[]): string[] {
  const prompt = messages.map((message) => message.content).join('\n');
  const id = /<review id="([^"]+)"/.exec(prompt)?.[1];
  const text = id ? `The reviews say the food was good [${id}].` : 'The reviews do not cover that.';
  return text.split(/(?<= )/);
}

/** Deterministic unit vector from the text (the double has no model; tests only need stable vectors). */
function hashVector(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (vector.length < dimensions) {
    for (let index = 0; index + 1 < seed.length && vector.length < dimensions; index += 2) {
      vector.push(seed.readUInt16BE(index) / 65535 - 0.5);
    }
    seed = createHash('sha256').update(seed).digest();
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
