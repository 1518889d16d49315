/**
 * The results board's page (served by `npm run board` at /): a leaderboard per model × format from
 * GET /api/leaderboard, sortable by any column, filterable by vendor, runtime and text, software adapters
 * hidden unless asked; rows link to their stored JSON and open, selected, in the compare view. $/1M tokens
 * and J/token are at the board's price for the device when it has one (the Prices panel, GET /api/prices,
 * which the board's owner edits with the owner token), else at the run's own cost inputs. Everything from
 * a result reaches the page as text (el() / textContent), never as HTML.
 */
import type { BoardPrice, CostSource, LeaderRow, Leaderboard, WorkloadCount } from '../result/leaderboard';
import { fmtNumber, fmtOptional } from '../result/formats';
import { formatPercent } from '../result/peers';
import { isResultId } from '../result/submit';
import { boardEdit, boardError, boardGet, ownerToken, readToken, sameOrigin, setOwnerToken, setReadToken } from './board-api';
import { chartBox, destroyChart, drawBars, drawScatter } from './charts';
import { append, clear, el, scrollBox } from './dom';

declare global {
  interface Window {
    /** The rows shown, in order (device names), for automation and tests. */
    tokenbenchBoard?: { shown: () => string[] };
  }
}

/** One sortable column: its header, the value it sorts by (null sorts last either way), its cell. */
interface Column {
  key: string;
  title: string;
  /** What the header's tooltip says the figure is. */
  help: string;
  num: boolean;
  value: (r: LeaderRow) => number | string | null;
  cell: (r: LeaderRow) => string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const pct = (v: number | null) => (v === null ? '—' : formatPercent(v));

/** Where a row's $/1M and J/token come from, in words. */
const SOURCE_LABEL: Record<CostSource, string> = { board: "board's price", run: "run's inputs" };
const sourceLabel = (r: LeaderRow) => SOURCE_LABEL[r.costSource as CostSource] ?? '—';

/** The peer ratio a row sorts by: native llama.cpp when the run had it, else llama.cpp's WebGPU backend. */
const peerValue = (r: LeaderRow) => num(r.ofNative) ?? num(r.ofWebgpu);

const COLUMNS: Column[] = [
  { key: 'device', title: 'Device', help: 'the adapter the run measured', num: false, value: (r) => r.device, cell: (r) => r.device },
  {
    key: 'vendor', title: 'Vendor', help: 'adapter vendor · architecture', num: false,
    value: (r) => r.vendor, cell: (r) => [r.vendor, r.architecture].filter(Boolean).join(' · ') || '—',
  },
  { key: 'runtime', title: 'Runtime', help: 'browser (from its user agent) or Node + Dawn', num: false, value: (r) => r.runtime, cell: (r) => r.runtime },
  { key: 'decodeB1', title: 'Decode tok/s (batch 1)', help: 'fastest batch-1 decode at the shallowest depth measured', num: true, value: (r) => num(r.decodeB1), cell: (r) => fmtOptional(num(r.decodeB1)) },
  {
    key: 'decodeBest', title: 'Decode tok/s (best batch)', help: 'fastest aggregate decode at any batch, with that batch', num: true,
    value: (r) => num(r.decodeBest), cell: (r) => (num(r.decodeBest) === null ? '—' : `${fmtNumber(r.decodeBest as number)}${num(r.bestBatch) !== null ? ` (b${r.bestBatch})` : ''}`),
  },
  { key: 'prefill', title: 'Prefill tok/s', help: 'fastest prefill test', num: true, value: (r) => num(r.prefill), cell: (r) => fmtOptional(num(r.prefill)) },
  { key: 'efficiency', title: '% of bound', help: 'batch-1 decode against the tighter of the bandwidth and compute bounds from this run\'s ceilings', num: true, value: (r) => num(r.efficiency), cell: (r) => pct(num(r.efficiency)) },
  {
    key: 'peer', title: '% of llama.cpp', help: 'batch-1 decode against llama.cpp on the same adapter, when the run had it as a peer', num: true, value: peerValue,
    cell: (r) => [num(r.ofNative) !== null ? `${pct(num(r.ofNative))} native` : '', num(r.ofWebgpu) !== null ? `${pct(num(r.ofWebgpu))} WebGPU` : ''].filter(Boolean).join(' · ') || '—',
  },
  {
    key: 'usd', title: '$/1M tokens', help: "best-batch decode cost at the board's price for the device, else at the run's own cost inputs (— : neither)", num: true,
    value: (r) => num(r.usdPer1M), cell: (r) => (num(r.usdPer1M) === null ? '—' : `$${fmtNumber(r.usdPer1M as number)}`),
  },
  { key: 'joules', title: 'J/token', help: 'best-batch decode energy per token at the board power of the same source', num: true, value: (r) => num(r.joulesPerToken), cell: (r) => fmtOptional(num(r.joulesPerToken)) },
  {
    key: 'priced', title: 'Priced at', help: "where $/1M tokens and J/token come from: the board's price for the device (Prices, below) or the run's own cost inputs",
    num: false, value: (r) => (r.costSource ? sourceLabel(r) : null), cell: sourceLabel,
  },
  { key: 'date', title: 'Run', help: 'when the run started (UTC)', num: false, value: (r) => r.startedAt, cell: (r) => String(r.startedAt).slice(0, 10) },
];

/** Numbers sort fastest / largest first on the first click; text A→Z. */
interface Sort {
  key: string;
  dir: 1 | -1;
}

const app = document.getElementById('app') as HTMLElement;
clear(app);

const notices = el('div', { id: 'notices' });
const modelSelect = el('select', { id: 'board-model', 'aria-label': 'Model' });
const formatSelect = el('select', { id: 'board-format', 'aria-label': 'Weight format' });
const vendorSelect = el('select', { id: 'board-vendor', 'aria-label': 'Vendor' });
const runtimeSelect = el('select', { id: 'board-runtime', 'aria-label': 'Runtime' });
const textFilter = el('input', { id: 'board-filter', type: 'search', placeholder: 'Filter: device, vendor, runtime…', 'aria-label': 'Filter rows' });
const softwareToggle = el('input', { id: 'board-software', type: 'checkbox' });
const compareBtn = el('button', { id: 'board-compare', class: 'primary', disabled: true }, 'Compare selected');
const status = el('p', { id: 'board-status', class: 'hint', role: 'status' });
const head = el('tr');
const body = el('tbody', { id: 'board-body' });
const table = el('table', { id: 'board-table' }, el('thead', {}, head), body);
const chart = chartBox('board-cost-chart', 'Scatter chart: decode tok/s at the best batch against $ per 1M tokens, one point per result');
const chartNote = el('p', { id: 'board-chart-note', class: 'hint' });
const wattChart = chartBox('board-watt-chart', 'Bar chart: decode tok/s per watt of board power at the best batch, one bar per result');
const wattNote = el('p', { id: 'board-watt-note', class: 'hint' });

const pricesHead = el('tr');
const pricesBody = el('tbody', { id: 'board-prices-body' });
const pricesStatus = el('p', { id: 'board-prices-status', class: 'hint', role: 'status' });
const ownerInput = el('input', { id: 'board-owner-input', type: 'password', autocomplete: 'off', 'aria-label': 'Owner token' });
const ownerForm = el('form', { id: 'board-owner', class: 'controls' }, "The board's owner can edit these prices: ", ownerInput, el('button', { type: 'submit' }, 'Edit prices'));
const priceDevice = el('input', { id: 'board-price-device', list: 'board-devices', required: true, maxlength: '500', autocomplete: 'off' });
const priceHourly = el('input', { id: 'board-price-hourly', type: 'number', min: '0', step: 'any', required: true });
const priceWatts = el('input', { id: 'board-price-watts', type: 'number', min: '0', step: 'any', required: true });
const priceElectricity = el('input', { id: 'board-price-electricity', type: 'number', min: '0', step: 'any', placeholder: 'included' });
const devices = el('datalist', { id: 'board-devices' });
const forgetOwner = el('button', { type: 'button', id: 'board-owner-forget' }, 'Forget the owner token');
const field = (label: string, input: HTMLInputElement) => el('label', {}, label, input);
const priceForm = el(
  'form',
  { class: 'cost-form' },
  field('Device (as the board names it)', priceDevice),
  field('Hourly price, $/h', priceHourly),
  field('Board power, W', priceWatts),
  field('Electricity, $/kWh (optional: on top of the hourly price)', priceElectricity),
  el('div', { class: 'controls' }, el('button', { type: 'submit', class: 'primary' }, 'Save price'), forgetOwner),
  devices,
);
// The forms' own display (grid, flex) would override their hidden attribute: their boxes are hidden instead.
const ownerBox = el('div', { id: 'board-owner-box' }, ownerForm);
const priceBox = el('div', { id: 'board-price-form' }, priceForm);

append(
  app,
  notices,
  el(
    'section',
    { 'aria-labelledby': 'board-h' },
    el('h2', { id: 'board-h' }, 'Leaderboard'),
    el(
      'div',
      { class: 'controls board-controls' },
      el('label', { for: 'board-model' }, 'Model'),
      modelSelect,
      el('label', { for: 'board-format' }, 'Format'),
      formatSelect,
    ),
    el(
      'div',
      { class: 'controls board-controls' },
      vendorSelect,
      runtimeSelect,
      textFilter,
      el('label', { for: 'board-software', class: 'toggle' }, softwareToggle, ' Show software adapters'),
      compareBtn,
    ),
    status,
    scrollBox(table),
    el('p', { class: 'hint' }, 'Click a header to sort; select rows to open them side by side in the compare view. ', el('a', { href: 'compare.html' }, 'Compare view')),
  ),
  el(
    'section',
    { 'aria-labelledby': 'board-chart-h' },
    el('h2', { id: 'board-chart-h' }, 'Speed against cost and power'),
    el('div', { class: 'chart-grid' }, el('div', {}, chartNote, chart.box), el('div', {}, wattNote, wattChart.box)),
  ),
  el(
    'section',
    { 'aria-labelledby': 'board-prices-h' },
    el('h2', { id: 'board-prices-h' }, 'Prices'),
    el('p', { class: 'hint' }, "The board's price per accelerator: $/1M tokens and J/token above use it for every run on that device; runs on other devices keep their own cost inputs."),
    scrollBox(el('table', { id: 'board-prices' }, el('thead', {}, pricesHead), pricesBody)),
    pricesStatus,
    ownerBox,
    priceBox,
  ),
);

let workloads: WorkloadCount[] = [];
let rows: LeaderRow[] = [];
let prices: BoardPrice[] = [];
let sort: Sort = { key: 'decodeB1', dir: -1 };
const selected = new Set<string>();

function notice(kind: 'error' | 'warn' | 'info', text: string, id?: string): HTMLElement {
  const n = el('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status', id }, text);
  append(notices, n);
  return n;
}

/** Asks for the board's read token after a 401/403, then retries `again`. */
function askToken(message: string, again: () => void): void {
  if (document.getElementById('board-token')) return;
  const input = el('input', { id: 'board-token-input', type: 'password', autocomplete: 'off', 'aria-label': 'Read token' });
  const go = el('button', { type: 'submit' }, 'Read the board');
  const form = el('form', { id: 'board-token', class: 'notice warn controls' }, message, input, go);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setReadToken(input.value.trim() || null);
    form.remove();
    again();
  });
  append(notices, form);
}

/** GET a board path as JSON; null after reporting why not. */
async function getJson<T>(path: string, retry: () => void): Promise<T | null> {
  const url = sameOrigin(path) as URL;
  let res: Response;
  try {
    res = await boardGet(url);
  } catch (e) {
    notice('error', `Cannot reach the board: ${(e as Error).message}`);
    return null;
  }
  if (res.status === 401 || res.status === 403) {
    if (readToken()) setReadToken(null);
    askToken(`This board needs a read token (${await boardError(res)}). `, retry);
    return null;
  }
  if (!res.ok) {
    notice('error', `${url.pathname}: ${await boardError(res)}`);
    return null;
  }
  return (await res.json()) as T;
}

function fill(select: HTMLSelectElement, options: Array<[string, string]>, want: string): void {
  clear(select);
  for (const [value, label] of options) append(select, el('option', { value }, label));
  select.value = options.some(([v]) => v === want) ? want : (options[0]?.[0] ?? '');
}

function fillFormats(want: string): void {
  const formats = workloads.filter((w) => w.model === modelSelect.value);
  fill(formatSelect, formats.map((w) => [w.format, `${w.format} (${w.results})`]), want);
}

/** The vendor and runtime pickers from the rows of this model × format, keeping a choice that still exists; the price form's devices. */
function fillFilters(): void {
  const vendors = [...new Set(rows.map((r) => (r.vendor ?? '').toLowerCase()).filter(Boolean))].sort();
  const runtimes = [...new Set(rows.map((r) => r.runtime))].sort();
  fill(vendorSelect, [['', 'All vendors'], ...vendors.map((v): [string, string] => [v, v])], vendorSelect.value);
  fill(runtimeSelect, [['', 'All runtimes'], ...runtimes.map((v): [string, string] => [v, v])], runtimeSelect.value);
  // The devices the owner may price, offered in the price form.
  clear(devices);
  for (const d of new Set(rows.map((r) => r.device))) append(devices, el('option', { value: d }));
}

function visible(): LeaderRow[] {
  const text = textFilter.value.trim().toLowerCase();
  const col = COLUMNS.find((c) => c.key === sort.key) ?? (COLUMNS[3] as Column);
  const shown = rows.filter(
    (r) =>
      (softwareToggle.checked || !r.software) &&
      (!vendorSelect.value || (r.vendor ?? '').toLowerCase() === vendorSelect.value) &&
      (!runtimeSelect.value || r.runtime === runtimeSelect.value) &&
      (!text || [r.device, r.vendor, r.architecture, r.runtime, r.id.slice(0, 12)].some((s) => (s ?? '').toLowerCase().includes(text))),
  );
  return shown
    .map((r, i) => ({ r, i, v: col.value(r) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c === 0 ? a.i - b.i : c * sort.dir;
    })
    .map((x) => x.r);
}

function renderHead(): void {
  clear(head);
  append(head, el('th', {}, el('span', { class: 'visually-hidden' }, 'Select')));
  for (const c of COLUMNS) {
    const active = c.key === sort.key;
    const btn = el('button', { class: 'sort', 'data-sort': c.key, title: c.help }, c.title, active ? (sort.dir === 1 ? ' ▲' : ' ▼') : '');
    btn.addEventListener('click', () => {
      sort = active ? { key: c.key, dir: sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: c.num ? -1 : 1 };
      render();
    });
    append(head, el('th', { 'aria-sort': active ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined, class: c.num ? 'num' : undefined }, btn));
  }
  append(head, el('th', {}, 'Result'));
}

function renderCompare(): void {
  compareBtn.disabled = selected.size === 0;
  compareBtn.textContent = selected.size ? `Compare selected (${selected.size})` : 'Compare selected';
}

function render(): void {
  renderHead();
  const shown = visible();
  clear(body);
  for (const r of shown) {
    const id = isResultId(r.id) ? r.id : '';
    const box = el('input', { type: 'checkbox', class: 'board-select', 'aria-label': `Select ${r.device}`, checked: selected.has(id), disabled: !id });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(id);
      else selected.delete(id);
      renderCompare();
    });
    append(
      body,
      el(
        'tr',
        { 'data-id': id, class: r.software ? 'software' : undefined },
        el('td', {}, box),
        ...COLUMNS.map((c) =>
          el('td', { 'data-col': c.key, class: c.num ? 'num' : c.key === 'device' && r.software ? 'badge-software' : undefined, title: c.key === 'device' && r.software ? 'software adapter: not a hardware result' : undefined }, c.cell(r)),
        ),
        el('td', { 'data-col': 'result' }, id ? resultLink(id) : '—'),
      ),
    );
  }
  const software = rows.filter((r) => r.software).length;
  status.textContent = rows.length
    ? `${shown.length} of ${rows.length} result(s) shown` + (software && !softwareToggle.checked ? `; ${software} on a software adapter hidden` : '') + '.'
    : 'No results for this model and format yet.';
  renderCompare();
  renderCharts(shown);
}

function renderPrices(): void {
  const owner = ownerToken() !== null;
  clear(pricesHead);
  for (const title of ['Device', '$/h', 'Board power W', 'Electricity $/kWh', 'Updated', ...(owner ? [''] : [])]) append(pricesHead, el('th', {}, title));
  clear(pricesBody);
  for (const p of prices) {
    const edit = el('button', { type: 'button', class: 'board-price-edit' }, 'Edit');
    edit.addEventListener('click', () => {
      priceDevice.value = p.device;
      priceHourly.value = String(p.hourlyPrice);
      priceWatts.value = String(p.boardPowerW);
      priceElectricity.value = p.electricityPrice === null ? '' : String(p.electricityPrice);
      priceHourly.focus();
    });
    const remove = el('button', { type: 'button', class: 'board-price-delete' }, 'Delete');
    remove.addEventListener('click', () => void editPrice(p.device, 'DELETE', undefined, `Deleted the price of ${p.device}.`));
    append(
      pricesBody,
      el(
        'tr',
        {},
        el('td', { 'data-col': 'device' }, p.device),
        el('td', { class: 'num' }, `$${fmtNumber(p.hourlyPrice)}`),
        el('td', { class: 'num' }, fmtNumber(p.boardPowerW)),
        el('td', { class: 'num' }, p.electricityPrice === null ? 'included' : `$${fmtNumber(p.electricityPrice)}`),
        el('td', {}, String(p.updatedAt).slice(0, 10)),
        owner ? el('td', {}, edit, ' ', remove) : null,
      ),
    );
  }
  if (!prices.length) append(pricesBody, el('tr', {}, el('td', { colspan: owner ? '6' : '5', class: 'hint' }, 'No prices yet: every run is priced at its own cost inputs.')));
  ownerBox.hidden = owner;
  priceBox.hidden = !owner;
}

async function loadPrices(): Promise<void> {
  const got = await getJson<{ prices: BoardPrice[] }>('/api/prices', () => void loadPrices());
  prices = got && Array.isArray(got.prices) ? got.prices : [];
  renderPrices();
}

/** The owner's PUT or DELETE of a device's price; then the prices and the leaderboard again. */
async function editPrice(device: string, method: 'PUT' | 'DELETE', body: unknown, done: string): Promise<void> {
  let res: Response;
  try {
    res = await boardEdit(sameOrigin(`/api/prices/${encodeURIComponent(device)}`) as URL, method, body);
  } catch (e) {
    pricesStatus.textContent = `Cannot reach the board: ${(e as Error).message}`;
    return;
  }
  if (!res.ok) {
    // A refused token is forgotten: the owner form comes back for another.
    if (res.status === 401 || res.status === 403) setOwnerToken(null);
    pricesStatus.textContent = `Not saved: ${await boardError(res)}`;
    renderPrices();
    return;
  }
  pricesStatus.textContent = done;
  await loadPrices();
  await loadBoard();
}

const rowLabel = (r: LeaderRow) => `${r.device} · ${r.runtime}`;

/** How many of `priced` rows are at the board's prices and how many at their run's own, in words. */
function sources(priced: LeaderRow[]): string {
  const board = priced.filter((r) => r.costSource === 'board').length;
  return `${board} at the board's prices, ${priced.length - board} at their run's own inputs`;
}

function renderCharts(shown: LeaderRow[]): void {
  const priced = shown.filter((r) => num(r.usdPer1M) !== null && num(r.decodeBest) !== null);
  const points = priced.map((r) => ({ label: rowLabel(r), x: r.usdPer1M as number, y: r.decodeBest as number }));
  if (points.length) drawScatter(chart.canvas, 'Decode tok/s (best batch) against $ per 1M tokens', '$ per 1M tokens (lower is cheaper)', 'decode tok/s, best batch', points);
  else destroyChart(chart.canvas);
  chartNote.textContent = points.length
    ? `${points.length} result(s) with a price (${sources(priced)}); each point is one run.`
    : "No shown result has a price: set one for its device under Prices, or give runs cost inputs (--hourly-price, or the bench page's cost form).";
  chart.box.hidden = points.length === 0;

  const powered = shown.filter((r) => num(r.tokPerSecPerW) !== null).sort((a, b) => (b.tokPerSecPerW as number) - (a.tokPerSecPerW as number));
  // A device name's parts (vendor / architecture / description) on lines of their own: long names would squash the bars.
  const deviceLines = (r: LeaderRow) => r.device.split(' / ');
  if (powered.length) drawBars(wattChart.canvas, 'Decode tok/s per W (best batch)', powered.map(deviceLines), [{ label: 'tok/s per W', values: powered.map((r) => r.tokPerSecPerW) }]);
  else destroyChart(wattChart.canvas);
  wattNote.textContent = powered.length
    ? `${powered.length} result(s) with a board power (${sources(powered)}), most tokens per joule first.`
    : 'No shown result has a board power: set one for its device under Prices, or give runs --board-power or --accelerator.';
  wattChart.box.hidden = powered.length === 0;
}

/** The model × format in the address, so a view can be linked. */
function remember(): void {
  const q = new URLSearchParams({ model: modelSelect.value, format: formatSelect.value });
  history.replaceState(null, '', `${location.pathname}?${q}`);
}

async function loadBoard(): Promise<void> {
  if (!modelSelect.value || !formatSelect.value) {
    rows = [];
    render();
    return;
  }
  remember();
  const q = new URLSearchParams({ model: modelSelect.value, format: formatSelect.value, limit: '500' });
  const lb = await getJson<Leaderboard>(`/api/leaderboard?${q}`, () => void loadBoard());
  rows = lb && Array.isArray(lb.rows) ? lb.rows : [];
  fillFilters();
  render();
}

async function start(): Promise<void> {
  const got = await getJson<{ workloads: WorkloadCount[] }>('/api/workloads', () => void start());
  if (!got) return;
  workloads = Array.isArray(got.workloads) ? got.workloads : [];
  const wanted = new URLSearchParams(location.search);
  const models = [...new Set(workloads.map((w) => w.model))];
  fill(modelSelect, models.map((m) => [m, m]), wanted.get('model') ?? '');
  fillFormats(wanted.get('format') ?? '');
  if (!models.length) notice('info', 'The board has no results yet: submit some with npm run bench -- … --submit URL, or npm run bench -- submit r.json --to URL.');
  await loadBoard();
  await loadPrices();
}

modelSelect.addEventListener('change', () => {
  fillFormats(formatSelect.value);
  void loadBoard();
});
formatSelect.addEventListener('change', () => void loadBoard());
for (const c of [vendorSelect, runtimeSelect, softwareToggle]) c.addEventListener('change', render);
textFilter.addEventListener('input', render);
ownerForm.addEventListener('submit', (e) => {
  e.preventDefault();
  setOwnerToken(ownerInput.value.trim() || null);
  ownerInput.value = '';
  pricesStatus.textContent = '';
  renderPrices();
});
forgetOwner.addEventListener('click', () => {
  setOwnerToken(null);
  renderPrices();
});
priceForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const device = priceDevice.value.trim();
  const electricity = priceElectricity.value.trim();
  const body = { hourlyPrice: Number(priceHourly.value), boardPowerW: Number(priceWatts.value), electricityPrice: electricity ? Number(electricity) : null };
  void editPrice(device, 'PUT', body, `Saved the price of ${device}.`);
});
compareBtn.addEventListener('click', () => {
  const q = new URLSearchParams();
  for (const id of selected) q.append('result', `/api/results/${id}`);
  location.assign(`compare.html?${q}`);
});

window.tokenbenchBoard = { shown: () => visible().map((r) => r.device) };
renderHead();
renderPrices();
void start();

/**
 * A row's link to its stored JSON. On a board with a read token a plain link would be refused (401: a link
 * sends no Authorization header), so with a token the click fetches the JSON with it and opens the bytes
 * received as a blob: URL of this origin in a new tab.
 */
function resultLink(id: string): HTMLAnchorElement {
  const href = `/api/results/${id}`;
  const a = el('a', { href, class: 'result-link', title: id }, `${id.slice(0, 8)}…`) as HTMLAnchorElement;
  a.addEventListener('click', (event) => {
    const url = sameOrigin(href);
    if (!readToken() || !url) return;
    event.preventDefault();
    void (async () => {
      const res = await boardGet(url);
      if (!res.ok) {
        a.title = `${id}: ${await boardError(res)}`;
        a.classList.add('link-failed');
        return;
      }
      const blob = URL.createObjectURL(new Blob([await res.arrayBuffer()], { type: 'application/json' }));
      window.open(blob, '_blank');
      setTimeout(() => URL.revokeObjectURL(blob), 60_000);
    })();
  });
  return a;
}

