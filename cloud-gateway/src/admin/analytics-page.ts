/**
 * The admin analytics page's markup and styles (`/admin/analytics`, `/admin/analytics.css`). Its
 * script is bundled with Chart.js by the UI build (`src/ui/analytics/`, served as
 * `/ui/analytics.js`). No inline script or style: the page works under the admin CSP.
 */
export const ANALYTICS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Gateway analytics</title>
<link rel="stylesheet" href="/admin/admin.css">
<link rel="stylesheet" href="/admin/analytics.css">
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
<script type="module" src="/ui/analytics.js"></script>
</head>
<body>
<header>
<h1>Gateway analytics</h1>
<nav><a href="/admin">Workers and requests</a></nav>
<p id="status" role="status">not signed in</p>
<button type="button" id="sign-out" hidden>Forget token</button>
</header>
<form id="login" hidden>
<label for="token">Admin token (ADMIN_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="off" required minlength="16">
<button type="submit">Show</button>
<p class="hint">The token stays in this tab only (sessionStorage) and is sent as a Bearer header.</p>
</form>
<main id="content" hidden>
<form id="range" class="range">
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
</div>
</main>
</body>
</html>
`;

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
