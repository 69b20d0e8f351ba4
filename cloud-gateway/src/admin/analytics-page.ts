import { adminPage } from './admin-page-shell.js';

/**
 * The admin analytics page's markup and styles (`/admin/analytics`, `/admin/analytics.css`). Its
 * script is bundled with Chart.js by the UI build (`src/ui/analytics/`, served as
 * `/ui/analytics.js`). No inline script or style: the page works under the admin CSP.
 */
export const ANALYTICS_HTML = adminPage({
  title: 'Gateway analytics',
  head: [
    '<link rel="stylesheet" href="/admin/analytics.css">',
    '<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">',
    '<script type="module" src="/ui/analytics.js"></script>',
  ],
  nav: { href: '/admin', label: 'Workers and requests' },
  loginHidden: true,
  main: `<form id="range" class="range">
<label>From <input id="from" type="datetime-local" required></label>
<label>To <input id="to" type="datetime-local" required></label>
<button type="submit">Show</button>
<button type="button" class="secondary" data-hours="24">Last 24 h</button>
<button type="button" class="secondary" data-hours="168">7 days</button>
<button type="button" class="secondary" data-hours="720">30 days</button>
<button type="button" class="secondary" id="export">Export CSV</button>
</form>
<section class="tiles" aria-label="Summary">
<div><span>turns</span><strong id="tile-turns">—</strong></div>
<div><span>errors</span><strong id="tile-errors">—</strong></div>
<div><span>latency p50</span><strong id="tile-latency-p50">—</strong></div>
<div><span>latency p95</span><strong id="tile-latency-p95">—</strong></div>
<div><span>first token p50</span><strong id="tile-ttft-p50">—</strong></div>
<div><span>first token p95</span><strong id="tile-ttft-p95">—</strong></div>
</section>
<section>
<h2>Turns per hour</h2>
<div class="chart wide"><canvas id="chart-series" role="img" aria-label="Turns and errors per hour"></canvas></div>
</section>
<div class="grid">
<section>
<h2>Routes</h2>
<div class="chart"><canvas id="chart-routes" role="img" aria-label="Turns by route"></canvas></div>
</section>
<section>
<h2>Top intents</h2>
<div class="chart"><canvas id="chart-intents" role="img" aria-label="Most frequent intents"></canvas></div>
</section>
</div>
<div class="grid">
<section>
<h2>Errors</h2>
<table>
<thead><tr><th>code</th><th>turns</th></tr></thead>
<tbody id="errors"></tbody>
</table>
<p class="empty" id="no-errors" hidden>No errors in this range.</p>
</section>
<section>
<h2>Workers</h2>
<table>
<thead><tr><th>id</th><th>state</th><th>backend</th><th>last heartbeat</th></tr></thead>
<tbody id="workers"></tbody>
</table>
<p class="empty" id="no-workers" hidden>No worker is connected now.</p>
<div class="chart small"><canvas id="chart-workers" role="img" aria-label="Turns served per worker in the range"></canvas></div>
</section>
</div>`,
});

export const ANALYTICS_CSS = `header nav a { color: var(--accent); }
.range { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; max-width: none; padding: 1rem 0; }
.range label { display: grid; gap: 0.2rem; color: var(--muted); }
button.secondary { background: transparent; color: var(--accent); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.5rem; }
.tiles div { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.75rem; display: grid; gap: 0.2rem; }
.tiles span { color: var(--muted); font-size: 0.85rem; }
.tiles strong { font-size: 1.4rem; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
.chart { position: relative; height: 240px; }
.chart.wide { height: 260px; }
.chart.small { height: 160px; margin-top: 0.5rem; }
`;
