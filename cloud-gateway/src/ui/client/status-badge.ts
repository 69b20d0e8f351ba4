import type { GatewayStatus } from '@review-assistant/shared';

/** What the badge shows: the gateway's worker status, or that the gateway itself is unreachable. */
export type BadgeState = GatewayStatus['workers'] | 'unreachable' | 'unknown';

export interface StatusView {
  state: BadgeState;
  label: string;
  detail: string;
}

/** Turns `GET /api/status` (or its failure) into the badge's state and words. */
export function describeStatus(status: GatewayStatus | undefined): StatusView {
  const view = describeWorkers(status);
  if (status && !status.intentModel.ready) {
    view.detail += ` Intent prediction is unavailable (${status.intentModel.message ?? 'model not loaded'}); every question goes to a worker.`;
  }
  return view;
}

function describeWorkers(status: GatewayStatus | undefined): StatusView {
  if (!status) {
    return { state: 'unreachable', label: 'Gateway unreachable', detail: 'The gateway did not answer; retrying.' };
  }
  const mode = status.backend === 'ollama' ? 'Ollama' : status.backend === 'offline' ? 'offline mode' : undefined;
  switch (status.workers) {
    case 'online':
      return {
        state: 'online',
        label: mode ? `Worker online · ${mode}` : 'Worker online',
        detail:
          status.backend === 'offline'
            ? 'A worker is up without a language model: answers are extractive summaries of the reviews.'
            : `${status.workersUp} worker${status.workersUp === 1 ? '' : 's'} ready.`,
      };
    case 'warming-up':
      return {
        state: 'warming-up',
        label: mode ? `Worker warming up · ${mode}` : 'Worker warming up',
        detail: 'A worker is connected but still loading its models; the first answer may be slow.',
      };
    case 'offline':
      return {
        state: 'offline',
        label: 'Worker offline',
        detail: 'No worker is online: review questions cannot be answered right now; small talk still works.',
      };
  }
}

/** Reads `GET /api/status` without trusting its shape. */
export async function fetchStatus(signal?: AbortSignal): Promise<GatewayStatus | undefined> {
  try {
    const response = await fetch('/api/status', { headers: { accept: 'application/json' }, cache: 'no-store', ...(signal ? { signal } : {}) });
    if (!response.ok) return undefined;
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) return undefined;
    const fields = body as Partial<Record<keyof GatewayStatus, unknown>>;
    const workers = fields.workers;
    if (workers !== 'online' && workers !== 'warming-up' && workers !== 'offline') return undefined;
    const backend = fields.backend === 'ollama' || fields.backend === 'offline' ? fields.backend : null;
    const intentModel =
      typeof fields.intentModel === 'object' && fields.intentModel !== null
        ? (fields.intentModel as GatewayStatus['intentModel'])
        : { ready: false, version: null, message: null };
    return {
      workers,
      workersUp: typeof fields.workersUp === 'number' ? fields.workersUp : 0,
      backend,
      intentModel: {
        ready: intentModel.ready === true,
        version: typeof intentModel.version === 'string' ? intentModel.version : null,
        message: typeof intentModel.message === 'string' ? intentModel.message : null,
      },
      version: typeof fields.version === 'string' ? fields.version : '',
    };
  } catch {
    return undefined;
  }
}
