/**
 * The bench page's cost panel: the cost/energy form (persisted in localStorage, mirrored in the URL so a
 * configured page can be shared), the cost table of the shown result, and its efficiency charts
 * (roofline, throughput vs interactivity). The formulas are in src/cost/model.ts; all text is set as text.
 */
import { ACCELERATORS } from '../cost/catalogue';
import { COST_KEYS, type CostKey, costToParams, hasCostInputs, parseCostInputs } from '../cost/inputs';
import { withCost } from '../cost/model';
import { rooflineOf, throughputCurves } from '../result/efficiency';
import { COST_HEADER, costHeadline, costRows, formats, resultFileName } from '../result/formats';
import type { BenchResult, CostInputs } from '../schema/result';
import { chartBox, destroyChart, drawRoofline, drawThroughput } from './charts';
import { append, clear, el, scrollBox } from './dom';

/** localStorage key of the form's text values. */
export const COST_STORAGE_KEY = 'tokenbench.cost.v1';

interface Field {
  key: CostKey;
  label: string;
  placeholder: string;
}

const GROUPS: Array<{ legend: string; hint: string; fields: Field[] }> = [
  {
    legend: 'Rental',
    hint: 'cloud price per GPU hour (electricity is usually included: leave that empty)',
    fields: [{ key: 'hourly-price', label: 'Hourly price ($/h)', placeholder: 'e.g. 2.50' }],
  },
  {
    legend: 'Or purchase',
    hint: 'amortised over the working hours of its lifetime',
    fields: [
      { key: 'purchase-price', label: 'Purchase price ($)', placeholder: 'e.g. 30000' },
      { key: 'lifetime-years', label: 'Lifetime (years)', placeholder: 'e.g. 4' },
      { key: 'utilisation', label: 'Utilisation (% of hours working)', placeholder: 'e.g. 60' },
    ],
  },
  {
    legend: 'Power',
    hint: 'pick an accelerator to pre-fill its rated board power (vendor specification)',
    fields: [
      { key: 'board-power', label: 'Board power (W)', placeholder: 'e.g. 700' },
      { key: 'electricity-price', label: 'Electricity ($/kWh)', placeholder: 'e.g. 0.15' },
    ],
  },
  {
    legend: 'Reference API (optional)',
    hint: 'a Model-as-a-Service price to compare against',
    fields: [
      { key: 'api-input-price', label: 'Input tokens ($/1M)', placeholder: 'e.g. 0.10' },
      { key: 'api-output-price', label: 'Output tokens ($/1M)', placeholder: 'e.g. 0.40' },
      { key: 'token-mix', label: 'Input:output mix', placeholder: '3:1' },
    ],
  },
];

export interface CostPanel {
  /** The form, the cost table and the charts. */
  section: HTMLElement;
  /** Valid inputs that ask for any cost figure, else null. */
  inputs(): CostInputs | null;
  /** The result with the cost block of the current inputs (or without one when there are none). */
  attach(r: BenchResult): BenchResult;
  /** An imported result: keeps the cost block it came with, else gets the current inputs'. */
  adopt(r: BenchResult): BenchResult;
  /** Renders the result's stored cost block and its charts. */
  show(r: BenchResult | null): void;
}

function readStorage(): Record<string, string> {
  try {
    const text = localStorage.getItem(COST_STORAGE_KEY);
    const data: unknown = text ? JSON.parse(text) : null;
    if (!data || typeof data !== 'object') return {};
    const out: Record<string, string> = {};
    for (const k of COST_KEYS) {
      const v = (data as Record<string, unknown>)[k];
      if (typeof v === 'string') out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

function writeStorage(values: Record<string, string>): void {
  try {
    localStorage.setItem(COST_STORAGE_KEY, JSON.stringify(values));
  } catch {
    // Storage off (private mode, quota): the URL still carries the inputs.
  }
}

/**
 * `onChange` is called after every valid edit of the form (with the new inputs, or null for none).
 * Initial values come from the URL when it has any cost parameter, else from localStorage.
 */
export function createCostPanel(onChange: (inputs: CostInputs | null) => void): CostPanel {
  const fields = new Map<CostKey, HTMLInputElement | HTMLSelectElement>();
  const accSelect = el('select', { id: 'cost-accelerator', name: 'accelerator' });
  append(accSelect, el('option', { value: '' }, 'custom (type the board power)'));
  for (const a of ACCELERATORS) append(accSelect, el('option', { value: a.id }, `${a.name} — ${a.boardPowerW} W`));
  fields.set('accelerator', accSelect);
  const form = el('form', { id: 'cost-form', class: 'cost-form', novalidate: true });
  for (const g of GROUPS) {
    const fs = el('fieldset', {}, el('legend', {}, g.legend), el('span', { class: 'hint' }, g.hint));
    if (g.legend === 'Power') append(fs, el('label', {}, 'Accelerator', accSelect));
    for (const f of g.fields) {
      const input = el('input', { id: `cost-${f.key}`, name: f.key, type: 'text', inputmode: f.key === 'token-mix' ? 'text' : 'decimal', placeholder: f.placeholder, autocomplete: 'off' });
      fields.set(f.key, input);
      append(fs, el('label', {}, f.label, input));
    }
    append(form, fs);
  }
  form.addEventListener('submit', (e) => e.preventDefault());

  const error = el('div', { id: 'cost-error', class: 'notice error', role: 'alert', hidden: true });
  const headline = el('div', { id: 'cost-headline', class: 'progress-text' });
  const source = el('div', { id: 'cost-source', class: 'hint' });
  const body = el('tbody', { id: 'cost-body' });
  const table = scrollBox(el('table', { id: 'cost-table' }, el('thead', {}, el('tr', {}, ...COST_HEADER.map((h) => el('th', {}, h)))), body));
  const notes = el('ul', { id: 'cost-notes', class: 'hint' });
  const roof = chartBox('roofline-chart', 'Roofline chart: arithmetic intensity against achieved GFLOP/s, with the measured bandwidth and compute ceilings');
  const thr = chartBox('throughput-chart', 'Throughput against interactivity from batched decode');
  const chartsNote = el('div', { id: 'charts-note', class: 'hint' });
  /** Exports of the shown result in the other formats (Export JSON is in the Run section). */
  const EXPORTS: Array<{ format: 'csv' | 'md' | 'github-bigger' | 'github-smaller'; ext: string; mime: string; label: string }> = [
    { format: 'csv', ext: 'csv', mime: 'text/csv', label: 'CSV' },
    { format: 'md', ext: 'md', mime: 'text/markdown', label: 'Markdown' },
    { format: 'github-bigger', ext: 'bigger.json', mime: 'application/json', label: 'github-action-benchmark (bigger is better)' },
    { format: 'github-smaller', ext: 'smaller.json', mime: 'application/json', label: 'github-action-benchmark (smaller is better)' },
  ];
  let shown: BenchResult | null = null;
  const exportButtons = EXPORTS.map((x) => {
    const b = el('button', { id: `export-result-${x.format}`, disabled: true }, x.label);
    b.addEventListener('click', () => {
      if (!shown) return;
      const url = URL.createObjectURL(new Blob([formats[x.format](shown)], { type: x.mime }));
      const a = el('a', { href: url, download: resultFileName(shown).replace(/\.json$/, `.${x.ext}`) });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
    return b;
  });
  const section = el(
    'section',
    { id: 'cost-section', 'aria-labelledby': 'cost-h' },
    el('h2', { id: 'cost-h' }, 'Cost per token and efficiency'),
    el('p', { class: 'hint' }, 'Prices are yours: nothing is assumed. Inputs stay in this browser and in the page address, so a configured page can be shared. ', el('a', { href: './compare.html', id: 'compare-link' }, 'Compare result files →')),
    form,
    error,
    headline,
    source,
    table,
    notes,
    el('div', { class: 'chart-grid' }, roof.box, thr.box),
    chartsNote,
    el('div', { class: 'controls' }, 'Export this result as:', ...exportButtons),
  );

  const values = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, f] of fields) if (f.value.trim()) out[k] = f.value.trim();
    return out;
  };
  let current: CostInputs | null = null;
  const parse = (): boolean => {
    const v = values();
    const r = parseCostInputs((k) => v[k]);
    if (!r.ok) {
      error.textContent = `Cost inputs: ${r.error}`;
      error.hidden = false;
      return false;
    }
    error.hidden = true;
    error.textContent = '';
    current = hasCostInputs(r.value) ? r.value : null;
    return true;
  };
  const syncUrl = (v: Record<string, string>) => {
    const url = new URL(location.href);
    for (const k of COST_KEYS) {
      if (v[k]) url.searchParams.set(k, v[k]);
      else url.searchParams.delete(k);
    }
    history.replaceState(history.state, '', url);
  };

  // Initial values: the URL wins (a shared page), else what this browser kept.
  const q = new URLSearchParams(location.search);
  const fromUrl = COST_KEYS.some((k) => q.has(k));
  const initial: Record<string, string> = fromUrl ? Object.fromEntries(COST_KEYS.filter((k) => q.has(k)).map((k) => [k, q.get(k) ?? ''])) : readStorage();
  for (const [k, f] of fields) f.value = initial[k] ?? '';
  // A catalogue pick shows its board power in the field unless one was typed.
  const acc = ACCELERATORS.find((a) => a.id === accSelect.value);
  const power = fields.get('board-power') as HTMLInputElement;
  if (acc && !power.value) power.value = String(acc.boardPowerW);
  parse();

  const changed = () => {
    if (!parse()) return;
    const v = values();
    writeStorage(v);
    syncUrl(v);
    onChange(current);
  };
  accSelect.addEventListener('change', () => {
    const a = ACCELERATORS.find((x) => x.id === accSelect.value);
    if (a) power.value = String(a.boardPowerW);
    changed();
  });
  for (const [k, f] of fields) if (k !== 'accelerator') f.addEventListener('change', changed);

  const show = (r: BenchResult | null) => {
    clear(body);
    clear(notes);
    headline.textContent = '';
    source.textContent = '';
    shown = r;
    for (const b of exportButtons) b.disabled = !r;
    chartsNote.textContent = '';
    if (!r) return;
    const hasTokens = r.phases.some((p) => p.workloads?.some((w) => w.state === 'ok'));
    headline.textContent = hasTokens ? costHeadline(r).replace(/^cost: /, 'Cost: ') : 'No token workload in this result: nothing to price.';
    const same = (x: CostInputs | null | undefined) => JSON.stringify(x ? costToParams(x) : []);
    if (r.cost && same(r.cost.inputs) !== same(current)) {
      source.textContent = "These figures use the cost inputs stored in the result; edit the form to price it with yours.";
    }
    for (const c of costRows(r)) {
      append(
        body,
        el(
          'tr',
          {},
          ...[c.model, c.format, c.prefill, c.decodeBatch1, c.decodeBest, c.blendedBatch1, c.blendedBest, c.tokensPerUsd, c.joulesPerToken, c.tokPerSecPerW, c.vsApi].map((t, i) =>
            el('td', { class: i >= 2 ? 'num' : undefined }, t),
          ),
        ),
      );
    }
    for (const n of r.cost?.notes ?? []) append(notes, el('li', {}, n));
    const rl = rooflineOf(r);
    const curves = throughputCurves(r).filter((c) => c.points.length > 0);
    if (rl.points.length) drawRoofline(roof.canvas, rl);
    else destroyChart(roof.canvas);
    if (curves.length) drawThroughput(thr.canvas, curves);
    else destroyChart(thr.canvas);
    const software = r.environment?.software.isSoftware ? 'Software adapter: the charts show a CPU emulation, not hardware. ' : '';
    chartsNote.textContent = `${software}Roofline: ${rl.points.length} point(s); ceilings from this run's read-bandwidth probe and f32 FMA peak. Throughput: ${curves.length} workload(s).`;
  };

  return {
    section,
    inputs: () => current,
    attach: (r) => withCost(r, current),
    adopt: (r) => (r.cost ? r : withCost(r, current)),
    show,
  };
}
