/**
 * Charts of the bench and compare pages, drawn by Chart.js on canvases (no inline script or style
 * element, so it runs under the page's Content-Security-Policy). Data comes from pure modules
 * (src/result/efficiency.ts, src/result/compare.ts); this file only maps it to Chart.js. Labels from
 * results reach the canvas as text only.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
} from 'chart.js';
import type { Roofline, ThroughputCurve } from '../result/efficiency';
import { fmtNumber } from '../result/formats';
import { el } from './dom';
import './charts.css';

Chart.register(BarController, BarElement, CategoryScale, Legend, LineController, LineElement, LinearScale, LogarithmicScale, PointElement, ScatterController, Title, Tooltip);

/** Colour-blind-safe palette (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
const colour = (i: number) => PALETTE[i % PALETTE.length] as string;

/** A canvas in a sized box (Chart.js needs a positioned parent to be responsive). */
export function chartBox(id: string, label: string): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': label });
  return { box: el('div', { class: 'chart-box' }, canvas), canvas };
}

const charts = new WeakMap<HTMLCanvasElement, { destroy(): void }>();

/** A canvas holds one chart: the previous one is destroyed first (Chart.js refuses a canvas in use). */
function fresh(canvas: HTMLCanvasElement): HTMLCanvasElement {
  charts.get(canvas)?.destroy();
  charts.delete(canvas);
  return canvas;
}

function keep<C extends { destroy(): void }>(canvas: HTMLCanvasElement, chart: C): C {
  charts.set(canvas, chart);
  return chart;
}

export function destroyChart(canvas: HTMLCanvasElement): void {
  charts.get(canvas)?.destroy();
  charts.delete(canvas);
}

const common = { animation: false as const, responsive: true, maintainAspectRatio: false };

/** Roofline: log-log, intensity (FLOP/B) vs achieved GFLOP/s, with the measured ceilings. */
export function drawRoofline(canvas: HTMLCanvasElement, roof: Roofline): Chart<'scatter'> {
  const xs = roof.points.map((p) => p.intensity);
  const lo = Math.min(...xs, roof.ridge ?? Infinity) / 4;
  const hi = Math.max(...xs, roof.ridge ?? 0) * 4;
  const datasets: ChartDataset<'scatter'>[] = [];
  const { bandwidthGBs: bw, peakGflops: peak, ridge } = roof;
  if (bw !== null) {
    const end = ridge ?? hi;
    datasets.push({ label: `memory ceiling: read bandwidth ${fmtNumber(bw)} GB/s`, data: [{ x: lo, y: bw * lo }, { x: end, y: bw * end }], showLine: true, pointRadius: 0, borderColor: '#555', borderWidth: 2 });
  }
  if (peak !== null) {
    datasets.push({ label: `compute ceiling: f32 FMA ${fmtNumber(peak)} GFLOP/s`, data: [{ x: ridge ?? lo, y: peak }, { x: hi, y: peak }], showLine: true, pointRadius: 0, borderColor: '#999', borderDash: [6, 4], borderWidth: 2 });
  }
  const mx = roof.matrixPeakGflops;
  if (mx !== null) {
    const knee = bw ? mx / bw : lo;
    datasets.push({ label: `matrix units: f16 GEMM ${fmtNumber(mx)} GFLOP/s`, data: [{ x: knee, y: mx }, { x: hi, y: mx }], showLine: true, pointRadius: 0, borderColor: '#b36b00', borderDash: [2, 3], borderWidth: 2 });
  }
  const kinds: Array<['kernel' | 'prefill' | 'decode', string]> = [['kernel', 'kernels (matmul)'], ['prefill', 'prefill tests'], ['decode', 'decode tests']];
  kinds.forEach(([kind, label], i) => {
    const pts = roof.points.filter((p) => p.kind === kind);
    if (!pts.length) return;
    datasets.push({
      label: pts.some((p) => p.units === 'matrix') ? `${label} (◆ on the matrix units)` : label,
      data: pts.map((p) => ({ x: p.intensity, y: p.gflops, name: p.label })),
      backgroundColor: colour(i),
      borderColor: colour(i),
      pointRadius: 5,
      pointStyle: pts.map((p) => (p.units === 'matrix' ? 'rectRot' : kind === 'kernel' ? 'rect' : kind === 'prefill' ? 'triangle' : 'circle')),
    });
  });
  canvas.dataset.points = String(roof.points.length);
  return keep(canvas, new Chart<'scatter'>(fresh(canvas), {
    type: 'scatter',
    data: { datasets },
    options: {
      ...common,
      plugins: {
        title: { display: true, text: 'Roofline (log-log): arithmetic intensity vs achieved FLOP/s' },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const raw = ctx.raw as { x: number; y: number; name?: string };
              return `${raw.name ?? ctx.dataset.label ?? ''}: ${fmtNumber(raw.x)} FLOP/B, ${fmtNumber(raw.y)} GFLOP/s`;
            },
          },
        },
      },
      scales: {
        x: { type: 'logarithmic', min: lo, max: hi, title: { display: true, text: 'arithmetic intensity (FLOP / byte)' } },
        y: { type: 'logarithmic', title: { display: true, text: 'achieved GFLOP/s' } },
      },
    },
  }));
}

/** Throughput vs interactivity: aggregate tok/s against tok/s per sequence, one line per workload (batch labels). */
export function drawThroughput(canvas: HTMLCanvasElement, curves: ThroughputCurve[]): Chart<'scatter'> {
  const datasets: ChartDataset<'scatter'>[] = curves.map((c, i) => ({
    label: c.label,
    data: c.points.map((p) => ({ x: p.perSequence, y: p.aggregate, batch: p.batch })),
    showLine: true,
    borderColor: colour(i),
    backgroundColor: colour(i),
    pointRadius: 4,
  }));
  canvas.dataset.series = String(curves.length);
  return keep(canvas, new Chart<'scatter'>(fresh(canvas), {
    type: 'scatter',
    data: { datasets },
    options: {
      ...common,
      plugins: {
        title: { display: true, text: 'Throughput vs interactivity (batched decode)' },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const raw = ctx.raw as { x: number; y: number; batch: number };
              return `${ctx.dataset.label ?? ''} batch ${raw.batch}: ${fmtNumber(raw.y)} tok/s total, ${fmtNumber(raw.x)} tok/s per sequence`;
            },
          },
        },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'tok/s per sequence (interactivity)' }, beginAtZero: true },
        y: { type: 'linear', title: { display: true, text: 'aggregate tok/s (throughput)' }, beginAtZero: true },
      },
    },
  }));
}

/** One point per labelled item (e.g. a board row): x against y, the label in the legend and the tooltip. */
export function drawScatter(canvas: HTMLCanvasElement, title: string, xTitle: string, yTitle: string, points: Array<{ label: string; x: number; y: number }>): Chart<'scatter'> {
  canvas.dataset.series = String(points.length);
  return keep(canvas, new Chart<'scatter'>(fresh(canvas), {
    type: 'scatter',
    data: { datasets: points.map((p, i) => ({ label: p.label, data: [{ x: p.x, y: p.y }], borderColor: colour(i), backgroundColor: colour(i), pointRadius: 5 })) },
    options: {
      ...common,
      plugins: {
        title: { display: true, text: title },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${fmtNumber((ctx.raw as { y: number }).y)} tok/s at $${fmtNumber((ctx.raw as { x: number }).x)}` } },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: xTitle }, beginAtZero: true },
        y: { type: 'linear', title: { display: true, text: yTitle }, beginAtZero: true },
      },
    },
  }));
}

/** Grouped bars: one group per category (test), one bar per series (result); null values are gaps. A category given as lines is drawn on several lines. */
export function drawBars(canvas: HTMLCanvasElement, title: string, categories: Array<string | string[]>, series: Array<{ label: string; values: Array<number | null> }>): Chart<'bar'> {
  canvas.dataset.series = String(series.length);
  canvas.dataset.categories = String(categories.length);
  return keep(canvas, new Chart<'bar'>(fresh(canvas), {
    type: 'bar',
    data: {
      labels: categories,
      datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: colour(i) })),
    },
    options: {
      ...common,
      plugins: { title: { display: true, text: title } },
      scales: { y: { beginAtZero: true, title: { display: true, text: title } } },
    },
  }));
}
