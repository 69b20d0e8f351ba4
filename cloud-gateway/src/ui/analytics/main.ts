/**
 * The admin analytics page (`/admin/analytics`): asks for the admin token (kept in this tab's
 * sessionStorage, shared with `/admin`), reads `/admin/api/analytics` for the chosen range and
 * `/admin/api/workers`, and draws them. Text reaches the page only through `textContent`.
 */
import { formatMs, readAnalytics, toLocalInput, type AnalyticsView } from './analytics-data.js';
import { drawCharts } from './charts.js';

const TOKEN_KEY = 'gateway-admin-token';
const HOUR_MS = 3_600_000;

function required<T extends Element>(selector: string, type: new () => T): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`analytics page: missing element ${selector}`);
  return found;
}

const login = required('#login', HTMLFormElement);
const tokenInput = required('#token', HTMLInputElement);
const statusLine = required('#status', HTMLElement);
const content = required('#content', HTMLElement);
const signOut = required('#sign-out', HTMLButtonElement);
const rangeForm = required('#range', HTMLFormElement);
const fromInput = required('#from', HTMLInputElement);
const toInput = required('#to', HTMLInputElement);
const exportButton = required('#export', HTMLButtonElement);

class Unauthorized extends Error {}

async function getJson(path: string): Promise<unknown> {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized('token rejected');
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    throw new Error(typeof message === 'string' ? message : `HTTP ${response.status}`);
  }
  return body;
}

function rangeQuery(): string {
  const from = new Date(fromInput.value);
  const to = new Date(toInput.value);
  return `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
}

function setText(selector: string, text: string): void {
  required(selector, HTMLElement).textContent = text;
}

function cell(row: HTMLTableRowElement, text: string, className?: string): void {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

function renderRows<T>(id: string, items: T[], fill: (row: HTMLTableRowElement, item: T) => void): void {
  const body = required(`#${id}`, HTMLTableSectionElement);
  required(`#no-${id}`, HTMLElement).hidden = items.length > 0;
  body.replaceChildren(
    ...items.map((item) => {
      const row = document.createElement('tr');
      fill(row, item);
      return row;
    }),
  );
}

function renderView(view: AnalyticsView): void {
  const errors = view.errors.reduce((sum, [, n]) => sum + n, 0);
  setText('#tile-turns', String(view.turns));
  setText('#tile-errors', view.turns === 0 ? '0' : `${errors} (${((errors / view.turns) * 100).toFixed(1)} %)`);
  setText('#tile-latency-p50', formatMs(view.latencyMs.p50));
  setText('#tile-latency-p95', formatMs(view.latencyMs.p95));
  setText('#tile-ttft-p50', formatMs(view.timeToFirstTokenMs.p50));
  setText('#tile-ttft-p95', formatMs(view.timeToFirstTokenMs.p95));
  renderRows('errors', view.errors, (row, [code, n]) => {
    cell(row, code, 'status-bad');
    cell(row, String(n));
  });
  drawCharts(view, {
    series: required('#chart-series', HTMLCanvasElement),
    routes: required('#chart-routes', HTMLCanvasElement),
    intents: required('#chart-intents', HTMLCanvasElement),
    workers: required('#chart-workers', HTMLCanvasElement),
  });
}

interface WorkerRow {
  id: string;
  state: string;
  backend: string;
  lastHeartbeatAt: string;
}

function readWorkers(body: unknown): WorkerRow[] {
  const workers = (body as { workers?: unknown } | null)?.workers;
  if (!Array.isArray(workers)) return [];
  return workers.map((worker: Record<string, unknown>) => ({
    id: String(worker.id ?? ''),
    state: String(worker.state ?? 'unknown'),
    backend: String(worker.backend ?? 'unknown'),
    lastHeartbeatAt: typeof worker.lastHeartbeatAt === 'string' ? new Date(worker.lastHeartbeatAt).toLocaleTimeString() : 'never',
  }));
}

function showSignedOut(message: string): void {
  content.hidden = true;
  login.hidden = false;
  signOut.hidden = true;
  statusLine.textContent = message;
}

async function refresh(): Promise<void> {
  if (!sessionStorage.getItem(TOKEN_KEY)) return showSignedOut('not signed in');
  statusLine.textContent = 'loading…';
  try {
    const [analytics, workers] = await Promise.all([getJson(`/admin/api/analytics?${rangeQuery()}`), getJson('/admin/api/workers')]);
    login.hidden = true;
    content.hidden = false;
    signOut.hidden = false;
    const view = readAnalytics(analytics);
    renderView(view);
    renderRows('workers', readWorkers(workers), (row, worker) => {
      cell(row, worker.id);
      cell(row, worker.state, `state-${worker.state}`);
      cell(row, worker.backend);
      cell(row, worker.lastHeartbeatAt);
    });
    statusLine.textContent = `${view.turns} turn(s) from ${new Date(view.from).toLocaleString()} to ${new Date(view.to).toLocaleString()}`;
    document.body.dataset.state = 'ready';
  } catch (error) {
    if (error instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showSignedOut('token rejected');
    }
    statusLine.textContent = `could not load analytics: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function setRange(hours: number): void {
  const to = new Date(Math.ceil(Date.now() / HOUR_MS) * HOUR_MS);
  fromInput.value = toLocalInput(new Date(to.getTime() - hours * HOUR_MS));
  toInput.value = toLocalInput(to);
}

async function exportCsv(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const response = await fetch(`/admin/api/analytics.csv?${rangeQuery()}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (!response.ok) {
    statusLine.textContent = `export failed: HTTP ${response.status}`;
    return;
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'analytics.csv';
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

login.addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  tokenInput.value = '';
  void refresh();
});
signOut.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showSignedOut('signed out');
});
rangeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});
for (const button of rangeForm.querySelectorAll<HTMLButtonElement>('button[data-hours]')) {
  button.addEventListener('click', () => {
    setRange(Number(button.dataset.hours));
    void refresh();
  });
}
exportButton.addEventListener('click', () => void exportCsv());

const initial = new URLSearchParams(location.search);
const initialFrom = initial.get('from');
const initialTo = initial.get('to');
if (initialFrom && initialTo && !Number.isNaN(Date.parse(initialFrom)) && !Number.isNaN(Date.parse(initialTo))) {
  fromInput.value = toLocalInput(new Date(initialFrom));
  toInput.value = toLocalInput(new Date(initialTo));
} else {
  setRange(24);
}
void refresh();
