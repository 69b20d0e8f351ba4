import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { hourLabel, type AnalyticsView } from './analytics-data.js';

// Only what the page draws is registered, so the bundle carries only these parts of Chart.js.
Chart.register(BarController, BarElement, DoughnutController, ArcElement, CategoryScale, LinearScale, Legend, Tooltip);

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#64748b', '#db2777', '#65a30d', '#7c3aed'];
const ERROR_COLOR = '#dc2626';
const TOP_INTENTS = 10;

const charts = new Map<string, Chart>();

/** (Re)draws one chart into `canvas`; the previous chart on it is destroyed first. */
function draw(canvas: HTMLCanvasElement, config: ChartConfiguration): void {
  charts.get(canvas.id)?.destroy();
  charts.set(canvas.id, new Chart(canvas, config));
}

const common = { animation: false as const, responsive: true, maintainAspectRatio: false };

/** Turns and errors per hour, route split, top intents, turns per worker. */
export function drawCharts(view: AnalyticsView, canvases: { series: HTMLCanvasElement; routes: HTMLCanvasElement; intents: HTMLCanvasElement; workers: HTMLCanvasElement }): void {
  draw(canvases.series, {
    type: 'bar',
    data: {
      labels: view.series.map((bucket, index) => hourLabel(bucket.hour, index)),
      datasets: [
        { label: 'turns', data: view.series.map((bucket) => bucket.turns - bucket.errors), backgroundColor: PALETTE[0], stack: 'turns' },
        { label: 'errors', data: view.series.map((bucket) => bucket.errors), backgroundColor: ERROR_COLOR, stack: 'turns' },
      ],
    },
    options: { ...common, scales: { x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
  draw(canvases.routes, {
    type: 'doughnut',
    data: {
      labels: view.byRoute.map(([route]) => route),
      datasets: [{ data: view.byRoute.map(([, n]) => n), backgroundColor: view.byRoute.map((_, index) => PALETTE[index % PALETTE.length]!) }],
    },
    options: { ...common, plugins: { legend: { position: 'right' } } },
  });
  const intents = view.byIntent.slice(0, TOP_INTENTS);
  draw(canvases.intents, {
    type: 'bar',
    data: { labels: intents.map(([name]) => name), datasets: [{ label: 'turns', data: intents.map(([, n]) => n), backgroundColor: PALETTE[3] }] },
    options: { ...common, indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  draw(canvases.workers, {
    type: 'bar',
    data: { labels: view.byWorker.map(([id]) => id), datasets: [{ label: 'turns served', data: view.byWorker.map(([, n]) => n), backgroundColor: PALETTE[1] }] },
    options: { ...common, indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
