import { z } from 'zod';
import cliProgress from 'cli-progress';
import type { ModelStatus } from '@review-assistant/shared';
import { OllamaRequestScope, connectionErrorCode } from './ollama-request-scope.js';
import type { OllamaConnectionOptions } from './ollama-request-scope.js';

export interface ManagedModel {
  name: string;
  role: 'chat' | 'embed';
}

/** One progress line of `POST /api/pull`. */
export interface PullProgress {
  model: string;
  status: string;
  completed?: number | null;
  total?: number | null;
}

export interface ModelManagerOptions extends OllamaConnectionOptions {
  models: ManagedModel[];
  /** Receives pull progress. @default a cli-progress bar on a TTY, plain lines every 10% otherwise */
  onPullProgress?: (progress: PullProgress) => void;
  /** Plain progress lines go here when not on a TTY. @default console.error */
  log?: (line: string) => void;
}

/** Minimal shapes of Ollama's responses (parsed, never cast). */
const TagsSchema = z.object({ models: z.array(z.object({ name: z.string(), model: z.string().nullish() })) });
const PsSchema = z.object({
  models: z.array(z.object({ name: z.string(), model: z.string().nullish(), expires_at: z.string().nullish() })),
});
const PullLineSchema = z.object({
  status: z.string(),
  completed: z.number().nullish(),
  total: z.number().nullish(),
});

export type ProbeResult = { reachable: true; models: string[] } | { reachable: false; reason: string };

/** Whether Ollama answers `/api/tags` within `timeoutMs`, and which models it has; never throws. */
export async function probeOllama(connection: OllamaConnectionOptions, timeoutMs: number): Promise<ProbeResult> {
  const scope = new OllamaRequestScope({ ...connection, idleTimeoutMs: timeoutMs });
  try {
    const tags = TagsSchema.parse(await scope.client().list());
    return { reachable: true, models: tags.models.map((model) => model.name) };
  } catch (error) {
    const appError = scope.toAppError(error, 'probe');
    const code = connectionErrorCode(error);
    const reason =
      appError.code === 'worker_timeout'
        ? `no answer within ${timeoutMs} ms`
        : code
          ? `connection failed: ${code}`
          : appError.message.replace(/^probe: /, '');
    return { reachable: false, reason };
  } finally {
    scope.dispose();
  }
}

/**
 * Model management through the `ollama` client: which models exist (`/api/tags`, `/api/show`),
 * pulling missing ones with progress (`/api/pull`), preloading them with an empty request and a
 * long `keep_alive` so the first user does not wait for a cold load, and what is in memory
 * (`/api/ps`). It keeps a per-model state for `/v1/health` and heartbeats.
 */
export class OllamaModelManager {
  private readonly states = new Map<string, ModelStatus>();

  constructor(private readonly options: ModelManagerOptions) {
    for (const model of options.models) {
      this.states.set(model.name, { name: model.name, role: model.role, state: 'loading', detail: 'not checked yet' });
    }
  }

  /** Current state of every managed model. */
  status(): ModelStatus[] {
    return [...this.states.values()].map((state) => ({ ...state }));
  }

  /** True while any model is being pulled or loaded. */
  isWarmingUp(): boolean {
    return [...this.states.values()].some((state) => state.state === 'loading');
  }

  /**
   * Makes every model usable: checks it with `/api/show`, pulls it when missing (if `pull`),
   * then preloads it. Never throws: failures end in the model's `error`/`missing` state.
   */
  async prepare(options: { pull: boolean }): Promise<ModelStatus[]> {
    await Promise.all(
      this.options.models.map(async (model) => {
        try {
          const present = await this.exists(model.name);
          if (!present) {
            if (!options.pull) {
              this.set(model, 'missing', `not installed; run: ollama pull ${model.name}`);
              return;
            }
            this.set(model, 'loading', 'pulling');
            await this.pull(model.name);
          }
          this.set(model, 'loading', 'loading into memory');
          await this.preload(model);
          this.set(model, 'ready', `loaded, keep_alive ${this.options.keepAlive ?? '30m'}`);
        } catch (error) {
          this.set(model, 'error', error instanceof Error ? error.message : String(error));
        }
      }),
    );
    return this.status();
  }

  /** Refreshes `detail` from `/api/ps`: which ready models are in memory right now. */
  async refreshLoaded(timeoutMs = 1000): Promise<void> {
    const scope = new OllamaRequestScope({ ...this.options, idleTimeoutMs: timeoutMs });
    try {
      const running = PsSchema.parse(await scope.client().ps());
      for (const model of this.options.models) {
        const current = this.states.get(model.name);
        if (current?.state !== 'ready') continue;
        const entry = running.models.find((item) => sameModel(item.name, model.name));
        this.set(
          model,
          'ready',
          entry ? `in memory${entry.expires_at ? ` until ${entry.expires_at}` : ''}` : 'installed; not in memory (the next request loads it)',
        );
      }
    } catch {
      // health stays with the last known states when Ollama is slow to answer
    } finally {
      scope.dispose();
    }
  }

  private async exists(name: string): Promise<boolean> {
    const scope = new OllamaRequestScope(this.options);
    try {
      await scope.client().show({ model: name });
      return true;
    } catch (error) {
      const appError = scope.toAppError(error, `show ${name}`);
      if (appError.code === 'model_unavailable' && /not found/i.test(appError.message)) return false;
      throw appError;
    } finally {
      scope.dispose();
    }
  }

  /** Pulls one model, reporting progress; throws when Ollama reports an error line. */
  async pull(name: string): Promise<void> {
    const scope = new OllamaRequestScope(this.options);
    const report = this.options.onPullProgress ?? defaultPullReporter(this.options.log ?? ((line) => console.error(line)));
    try {
      const stream = await scope.client().pull({ model: name, stream: true });
      let last: string | undefined;
      for await (const raw of stream) {
        const line = PullLineSchema.parse(raw);
        last = line.status;
        report({ model: name, status: line.status, completed: line.completed ?? null, total: line.total ?? null });
      }
      if (last !== 'success') throw new Error(`pull of ${name} ended without success (last status: ${last ?? 'none'})`);
    } catch (error) {
      throw scope.toAppError(error, `pull ${name}`);
    } finally {
      scope.dispose();
    }
  }

  /** Loads a model into memory: an empty chat (`messages: []`) or an empty embed request. */
  private async preload(model: ManagedModel): Promise<void> {
    const scope = new OllamaRequestScope(this.options);
    const keepAlive = this.options.keepAlive ?? '30m';
    try {
      const client = scope.client();
      if (model.role === 'chat') await client.chat({ model: model.name, messages: [], keep_alive: keepAlive, stream: false });
      else await client.embed({ model: model.name, input: [], keep_alive: keepAlive });
    } catch (error) {
      throw scope.toAppError(error, `preload ${model.name}`);
    } finally {
      scope.dispose();
    }
  }

  private set(model: ManagedModel, state: ModelStatus['state'], detail: string): void {
    this.states.set(model.name, { name: model.name, role: model.role, state, detail });
  }
}

function sameModel(a: string, b: string): boolean {
  const normalise = (name: string) => (name.includes(':') ? name : `${name}:latest`);
  return normalise(a) === normalise(b);
}

/** A bar per pulled layer on a TTY; otherwise one plain line per status change or 10% step. */
function defaultPullReporter(log: (line: string) => void): (progress: PullProgress) => void {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let lastStatus = '';
  let lastDecile = -1;
  return (progress) => {
    const { total, completed } = progress;
    if (total && total > 0) {
      if (tty) {
        if (!bar || progress.status !== lastStatus) {
          bar?.stop();
          bar = new cliProgress.SingleBar(
            { format: `${progress.model} ${progress.status} [{bar}] {percentage}% {value}/{total} bytes | ETA {eta}s`, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, completed ?? 0);
        } else {
          bar.update(completed ?? 0);
        }
      } else {
        const decile = Math.floor(((completed ?? 0) / total) * 10);
        if (progress.status !== lastStatus || decile !== lastDecile) {
          log(`pull ${progress.model}: ${progress.status} ${decile * 10}% (${completed ?? 0}/${total} bytes)`);
          lastDecile = decile;
        }
      }
    } else {
      bar?.stop();
      bar = undefined;
      if (progress.status !== lastStatus) log(`pull ${progress.model}: ${progress.status}`);
    }
    lastStatus = progress.status;
  };
}
