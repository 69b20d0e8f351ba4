import type { InteractionRecord } from '../logs/interaction-record.js';
import type { LogReader } from '../logs/log-store.js';
import type { RecentRequests } from '../pool/recent-requests.js';
import type { RoutedRequest } from '../pool/types.js';

/** Rows on the admin page's "recent requests" table. */
export const RECENT_REQUESTS_SHOWN = 50;

function routedRequest(record: InteractionRecord): RoutedRequest {
  return {
    time: record.createdAt,
    requestId: record.requestId,
    workerId: record.workerId,
    route: record.route,
    intent: record.intent.name,
    status: record.status,
    ms: Math.round(record.latencyMs),
  };
}

/**
 * The admin page's recent requests, newest first: chat turns read from the interaction log (so
 * the turns of every gateway sharing the log, and of earlier runs, show), merged with this
 * gateway's own API calls (`/api/embed|retrieve|generate`, which the log does not hold).
 */
export async function recentRequestsView(log: LogReader, apiCalls: RecentRequests, limit = RECENT_REQUESTS_SHOWN): Promise<RoutedRequest[]> {
  // a log that cannot be read leaves the page with this gateway's API calls (and its workers)
  const turns = (await log.recent(limit).catch(() => [])).map(routedRequest);
  return [...turns, ...apiCalls.list()]
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0))
    .slice(0, limit);
}
