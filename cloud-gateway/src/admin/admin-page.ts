import { adminPage } from './admin-page-shell.js';

/**
 * The admin page's files, kept as strings so every build (tsx, tsc, esbuild bundle) ships them.
 * No inline script or style: the HTML loads `/admin/admin.js` and `/admin/admin.css`, and the
 * script renders data with textContent only.
 */
export const ADMIN_HTML = adminPage({
  title: 'Gateway admin',
  head: ['<script src="/admin/admin.js" defer></script>'],
  nav: { href: '/admin/analytics', label: 'Analytics' },
  main: `<section>
<h2>Workers</h2>
<table>
<thead><tr><th>id</th><th>state</th><th>breaker</th><th>last heartbeat</th><th>backend</th><th>active / capacity</th><th>queue</th><th>source</th><th>URL</th><th>last error</th></tr></thead>
<tbody id="workers"></tbody>
</table>
<p class="empty" id="no-workers" hidden>No workers known: start a worker with GATEWAY_URL pointing here, or set WORKER_URLS.</p>
</section>
<section>
<h2>Recent routed requests</h2>
<table>
<thead><tr><th>time</th><th>request id</th><th>route</th><th>intent</th><th>worker</th><th>status</th><th>ms</th></tr></thead>
<tbody id="requests"></tbody>
</table>
<p class="empty" id="no-requests" hidden>No requests yet.</p>
</section>`,
});

export const ADMIN_CSS = `:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --accent: #2563eb; --bad: #b91c1c; --ok: #15803d; --warn: #b45309; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; gap: 1rem; align-items: baseline; padding: 0.75rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; }
header p { margin: 0; color: var(--muted); }
form { padding: 1rem; display: grid; gap: 0.5rem; max-width: 28rem; }
input { font: inherit; padding: 0.35rem 0.5rem; }
button { font: inherit; padding: 0.3rem 0.8rem; border: 1px solid var(--accent); background: var(--accent); color: white; border-radius: 4px; cursor: pointer; justify-self: start; }
.hint, .empty { color: var(--muted); }
main { padding: 0 1rem 1rem; }
section h2 { font-size: 1rem; margin: 1rem 0 0.4rem; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.wrap { white-space: normal; word-break: break-all; }
.state-ready, .breaker-closed, .status-ok { color: var(--ok); }
.state-warming-up, .breaker-half-open { color: var(--warn); }
.state-degraded, .state-stopping, .breaker-open, .breaker-isolated, .status-bad { color: var(--bad); }
`;

export const ADMIN_JS = `'use strict';
(function () {
  var TOKEN_KEY = 'gateway-admin-token';
  var form = document.getElementById('login');
  var input = document.getElementById('token');
  var statusLine = document.getElementById('status');
  var content = document.getElementById('content');
  var signOut = document.getElementById('sign-out');
  var timer = null;

  function cell(row, text, className) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
  }

  function ago(iso) {
    if (!iso) return 'never';
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return seconds + ' s ago';
  }

  /** Replaces the rows of table body #id (one per item, cells added by fill) and toggles #no-<id>. */
  function renderRows(id, items, fill) {
    var body = document.getElementById(id);
    document.getElementById('no-' + id).hidden = items.length > 0;
    body.replaceChildren.apply(body, items.map(function (item) {
      var row = document.createElement('tr');
      fill(row, item);
      return row;
    }));
  }

  function renderWorkers(workers) {
    renderRows('workers', workers, function (row, worker) {
      cell(row, worker.id);
      cell(row, worker.state, 'state-' + worker.state);
      cell(row, worker.breaker, 'breaker-' + worker.breaker);
      cell(row, ago(worker.lastHeartbeatAt));
      cell(row, worker.backend || 'unknown');
      cell(row, worker.active + ' / ' + worker.capacity);
      cell(row, worker.queue);
      cell(row, worker.source);
      cell(row, worker.url, 'wrap');
      cell(row, worker.lastError || '', 'wrap');
    });
  }

  function renderRequests(requests) {
    renderRows('requests', requests, function (row, request) {
      cell(row, new Date(request.time).toLocaleTimeString());
      cell(row, request.requestId);
      cell(row, request.route);
      cell(row, request.intent || '');
      cell(row, request.workerId || '—');
      cell(row, request.status, request.status === 'ok' ? 'status-ok' : 'status-bad');
      cell(row, Math.round(request.ms));
    });
  }

  function stop(message) {
    if (timer) clearInterval(timer);
    timer = null;
    content.hidden = true;
    form.hidden = false;
    signOut.hidden = true;
    statusLine.textContent = message;
  }

  function refresh() {
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return stop('not signed in');
    return fetch('/admin/api/overview', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401) {
          sessionStorage.removeItem(TOKEN_KEY);
          stop('token rejected');
          return null;
        }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (overview) {
        if (!overview) return;
        form.hidden = true;
        content.hidden = false;
        signOut.hidden = false;
        renderWorkers(overview.workers);
        renderRequests(overview.requests);
        statusLine.textContent = overview.workers.length + ' worker(s) · updated ' + new Date().toLocaleTimeString();
      })
      .catch(function (error) {
        statusLine.textContent = 'refresh failed: ' + error.message;
      });
  }

  function begin() {
    refresh();
    if (!timer) timer = setInterval(refresh, 3000);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    begin();
  });
  signOut.addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    stop('signed out');
  });
  if (sessionStorage.getItem(TOKEN_KEY)) begin();
})();
`;
