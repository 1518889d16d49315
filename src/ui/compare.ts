/**
 * The compare page: pick or drop result JSON files → summary, comparison table, bar charts per metric,
 * throughput vs interactivity, a two-result diff with % change and a rank test, and exports. Files are
 * untrusted: size-limited, schema-validated (the error names the JSON path), rendered as text only.
 *
 * Results can also come by address: `compare.html?result=/api/results/ID&result=…` (the board page's
 * "Compare selected") loads each URL, of this page's own origin only, under the same checks as a file.
 */
import {
  COMPARE_FORMATS,
  COMPARE_HEADER,
  type CompareFormat,
  type LabelledResult,
  DIFF_HEADER,
  FORMAT_FILE,
  compareFormats,
  compareResults,
  compareRowCells,
  diffResults,
  diffRowCells,
  uniqueLabels,
} from '../result/compare';
import { throughputCurves } from '../result/efficiency';
import { deviceName } from '../result/figures';
import { fmtNumber } from '../result/formats';
import { checkIntegrity, integrityMessage } from '../result/integrity';
import { type BenchResult, MAX_IMPORT_BYTES, parseResultText } from '../schema/result';
import { boardError, boardGet, sameOrigin } from './board-api';
import { chartBox, destroyChart, drawBars, drawThroughput } from './charts';
import { append, clear, el, scrollBox } from './dom';

declare global {
  interface Window {
    /** Labels of the loaded results, for automation and tests. */
    tokenbenchCompare?: { labels: () => string[] };
  }
}

const app = document.getElementById('app') as HTMLElement;
clear(app);

/** Loaded files in pick order: name as given, parsed result. */
const loaded: Array<{ name: string; result: LabelledResult['result'] }> = [];

const notices = el('div', { id: 'notices' });
const fileInput = el('input', { id: 'compare-files', type: 'file', multiple: true, accept: 'application/json,.json', 'aria-label': 'Result JSON files' });
const drop = el('div', { id: 'drop-zone', class: 'drop-zone' }, 'Drop tokenbench result JSON files here, or ', el('label', { for: 'compare-files' }, 'pick them: '), fileInput);
const fileList = el('ul', { id: 'file-list', class: 'file-list' });
const clearBtn = el('button', { id: 'clear-files', disabled: true }, 'Clear all');
const filesSection = el(
  'section',
  { 'aria-labelledby': 'files-h' },
  el('h2', { id: 'files-h' }, 'Result files'),
  el('p', { class: 'hint' }, 'Files stay in this tab: nothing is uploaded. ', el('a', { href: './' }, '← back to the bench')),
  drop,
  fileList,
  el('div', { class: 'controls' }, clearBtn),
);

const summaryBody = el('tbody', { id: 'compare-summary-body' });
const rowsBody = el('tbody', { id: 'compare-body' });
const tableSection = el(
  'section',
  { 'aria-labelledby': 'table-h' },
  el('h2', { id: 'table-h' }, 'Comparison'),
  scrollBox(
    el(
      'table',
      { id: 'compare-summary' },
      el('thead', {}, el('tr', {}, ...['Result', 'Device', 'Adapter', 'Runtime', 'Status', 'Verification', 'tokenbench', '$/h', 'Board W'].map((h) => el('th', {}, h)))),
      summaryBody,
    ),
  ),
  scrollBox(el('table', { id: 'compare-table' }, el('thead', {}, el('tr', {}, ...COMPARE_HEADER.map((h) => el('th', {}, h)))), rowsBody)),
);

const METRICS = [
  { id: 'tok-s', title: 'tok/s (aggregate)', get: (r: ReturnType<typeof compareResults>['rows'][number]) => r.tokPerSec },
  { id: 'bound', title: '% of bound', get: (r: ReturnType<typeof compareResults>['rows'][number]) => (r.efficiency !== null ? r.efficiency * 100 : null) },
  { id: 'usd', title: '$ per 1M tokens', get: (r: ReturnType<typeof compareResults>['rows'][number]) => r.usdPer1M },
  { id: 'joules', title: 'J per token', get: (r: ReturnType<typeof compareResults>['rows'][number]) => r.joulesPerToken },
] as const;
const barBoxes = METRICS.map((m) => ({ ...m, ...chartBox(`bars-${m.id}`, `Bar chart: ${m.title} per test and result`) }));
const thr = chartBox('compare-throughput', 'Throughput against interactivity from batched decode, every result');
const chartsNote = el('div', { id: 'compare-charts-note', class: 'hint' });
const chartsSection = el(
  'section',
  { 'aria-labelledby': 'charts-h' },
  el('h2', { id: 'charts-h' }, 'Charts'),
  chartsNote,
  el('div', { class: 'chart-grid' }, ...barBoxes.map((b) => b.box), thr.box),
);

const diffA = el('select', { id: 'diff-a', 'aria-label': 'baseline' });
const diffB = el('select', { id: 'diff-b', 'aria-label': 'candidate' });
const diffBody = el('tbody', { id: 'diff-body' });
const diffNote = el('div', { id: 'diff-note', class: 'hint' });
const diffSection = el(
  'section',
  { 'aria-labelledby': 'diff-h' },
  el('h2', { id: 'diff-h' }, 'Diff of two results'),
  el('div', { class: 'controls' }, el('label', { for: 'diff-a' }, 'Baseline'), diffA, el('label', { for: 'diff-b' }, 'Candidate'), diffB),
  diffNote,
  scrollBox(el('table', { id: 'diff-table' }, el('thead', {}, el('tr', {}, ...DIFF_HEADER.map((h) => el('th', {}, h)))), diffBody)),
);

const exportButtons = new Map<CompareFormat, HTMLButtonElement>(COMPARE_FORMATS.map((f) => [f, el('button', { id: `export-${f}`, disabled: true }, `Export ${f}`)]));
const exportSection = el(
  'section',
  { 'aria-labelledby': 'export-h' },
  el('h2', { id: 'export-h' }, 'Export'),
  el('p', { class: 'hint' }, 'Markdown (llama-bench-like), CSV, JSON, and github-action-benchmark customBiggerIsBetter / customSmallerIsBetter.'),
  el('div', { class: 'controls' }, ...exportButtons.values()),
);

append(app, notices, filesSection, tableSection, chartsSection, diffSection, exportSection);

function notice(kind: 'error' | 'warn', text: string): void {
  append(notices, el('div', { class: `notice ${kind} import-error`, role: kind === 'error' ? 'alert' : 'status' }, text));
}

/** Loaded all the same, with a warning: a figure its own samples do not give was edited after the run. */
function warnIfInconsistent(name: string, result: BenchResult): void {
  const integrity = checkIntegrity(result);
  if (!integrity.ok) notice('warn', `${name}: ${integrityMessage(integrity.problems)}`);
}

function labelled(): LabelledResult[] {
  const labels = uniqueLabels(loaded.map((l) => l.name));
  return loaded.map((l, i) => ({ label: labels[i] as string, result: l.result }));
}

function fillSelect(select: HTMLSelectElement, labels: string[], want: number): void {
  const keep = select.value;
  clear(select);
  for (const l of labels) append(select, el('option', { value: l }, l));
  select.value = labels.includes(keep) ? keep : (labels[want] ?? labels[0] ?? '');
}

function renderDiff(list: LabelledResult[]): void {
  clear(diffBody);
  const a = list.find((l) => l.label === diffA.value);
  const b = list.find((l) => l.label === diffB.value);
  if (!a || !b || a === b) {
    diffNote.textContent = list.length < 2 ? 'Load two results to diff them.' : 'Pick two different results.';
    return;
  }
  const d = diffResults(a, b);
  diffNote.textContent =
    `${b.label} vs ${a.label}: change = (candidate − baseline) / baseline; p from a Mann–Whitney rank test on the raw samples ` +
    '(decode steps, repetitions or kernel samples); significant at p < 0.05. $/1M and J/token follow tok/s and the cost inputs, so they are not tested.';
  for (const r of d.rows) {
    const cells = diffRowCells(r);
    append(
      diffBody,
      el(
        'tr',
        { class: `verdict-${r.verdict.replace(/ /g, '-')}`, 'data-key': r.key, title: r.note },
        ...cells.map((c, i) => el('td', { class: i === cells.length - 1 ? 'verdict' : i >= 2 ? 'num' : undefined }, c)),
      ),
    );
  }
}

function render(): void {
  const list = labelled();
  const c = compareResults(list);
  clear(fileList);
  list.forEach((l, i) => {
    const remove = el('button', { 'aria-label': `Drop ${l.label}`, class: 'drop-file', 'data-label': l.label }, '×');
    remove.addEventListener('click', () => {
      loaded.splice(i, 1);
      render();
    });
    append(fileList, el('li', {}, l.label, remove));
  });
  clearBtn.disabled = list.length === 0;
  for (const b of exportButtons.values()) b.disabled = list.length === 0;

  clear(summaryBody);
  for (const s of c.results) {
    append(
      summaryBody,
      el(
        'tr',
        { 'data-result': s.label },
        el('td', {}, s.label),
        el('td', {}, s.device),
        el('td', { class: s.software ? 'badge-software' : undefined }, s.software ? 'SOFTWARE ADAPTER: not a hardware result' : 'hardware'),
        el('td', {}, s.runtime),
        el('td', {}, s.status),
        el('td', {}, `${s.verification.state} (${s.verification.passed} passed, ${s.verification.failed} failed)`),
        el('td', {}, s.tool),
        el('td', { class: 'num' }, s.costPerHour !== null ? `$${fmtNumber(s.costPerHour)}` : 'enter a price'),
        el('td', { class: 'num' }, s.boardPowerW !== null ? String(s.boardPowerW) : '—'),
      ),
    );
  }
  clear(rowsBody);
  for (const r of c.rows) {
    const cells = compareRowCells(r);
    append(
      rowsBody,
      el('tr', { 'data-result': r.result, 'data-key': r.key }, ...cells.map((t, i) => el('td', { class: i === 2 && r.software ? 'badge-software' : i >= 7 && i <= 12 ? 'num' : undefined }, t))),
    );
  }

  // Bars: one group per test (model format test), one bar per result.
  const categories = [...new Set(c.rows.map((r) => `${r.model} ${r.format} ${r.test}`))];
  for (const m of barBoxes) {
    const series = list.map((l) => ({
      label: l.label,
      values: categories.map((cat) => {
        const row = c.rows.find((r) => r.result === l.label && `${r.model} ${r.format} ${r.test}` === cat);
        return row ? m.get(row) : null;
      }),
    }));
    if (series.some((s) => s.values.some((v) => v !== null))) drawBars(m.canvas, m.title, categories, series);
    else destroyChart(m.canvas);
  }
  const curves = list.flatMap((l) => throughputCurves(l.result, `${l.label}: `)).filter((cv) => cv.points.length > 0);
  if (curves.length) drawThroughput(thr.canvas, curves);
  else destroyChart(thr.canvas);
  const software = c.results.filter((r) => r.software).map((r) => r.label);
  chartsNote.textContent = list.length
    ? `${categories.length} test(s) across ${list.length} result(s).` + (software.length ? ` Software adapter (not hardware): ${software.join(', ')}.` : '') + ' Empty $ and J charts mean no result carries cost inputs (enter a price when running).'
    : 'Load result files to see charts.';

  const labels = list.map((l) => l.label);
  fillSelect(diffA, labels, 0);
  fillSelect(diffB, labels, 1);
  renderDiff(list);
}

async function addFiles(files: FileList | File[]): Promise<void> {
  for (const e of [...notices.querySelectorAll('.import-error')]) e.remove();
  for (const file of [...files]) {
    if (file.size > MAX_IMPORT_BYTES) {
      notice('error', `${file.name}: file too large (${file.size} bytes > ${MAX_IMPORT_BYTES})`);
      continue;
    }
    const parsed = parseResultText(await file.text());
    if (!parsed.ok) {
      notice('error', `${file.name}: ${parsed.error}`);
      continue;
    }
    warnIfInconsistent(file.name, parsed.result);
    loaded.push({ name: file.name, result: parsed.result });
  }
  render();
}

/** Loads the results named by `result=` in the address: same-origin URLs only, each size-limited and validated. */
async function addUrls(hrefs: string[]): Promise<void> {
  for (const href of hrefs) {
    const url = sameOrigin(href);
    if (!url) {
      notice('error', `${href.slice(0, 200)}: not loaded: only results from this page's own origin (${location.origin}) can be opened by address`);
      continue;
    }
    let text: string;
    try {
      const res = await boardGet(url);
      if (!res.ok) {
        notice('error', `${url.pathname}: ${await boardError(res)}`);
        continue;
      }
      const declared = Number(res.headers.get('content-length'));
      const blob = declared > MAX_IMPORT_BYTES ? null : await res.blob();
      if (!blob || blob.size > MAX_IMPORT_BYTES) {
        notice('error', `${url.pathname}: result too large (> ${MAX_IMPORT_BYTES} bytes)`);
        continue;
      }
      text = await blob.text();
    } catch (e) {
      notice('error', `${url.pathname}: cannot fetch it: ${(e as Error).message}`);
      continue;
    }
    const parsed = parseResultText(text);
    if (!parsed.ok) {
      notice('error', `${url.pathname}: ${parsed.error}`);
      continue;
    }
    // Named by its device and its id (the address's last segment), shortened.
    const last = url.pathname.split('/').pop() || url.pathname;
    warnIfInconsistent(url.pathname, parsed.result);
    loaded.push({ name: `${deviceName(parsed.result)} · ${last.slice(0, 8)}`, result: parsed.result });
  }
  render();
}

function download(format: CompareFormat): void {
  const list = labelled();
  if (!list.length) return;
  const { ext, mime } = FORMAT_FILE[format];
  const url = URL.createObjectURL(new Blob([compareFormats[format](list)], { type: mime }));
  const a = el('a', { href: url, download: `tokenbench-compare.${ext}` });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

fileInput.addEventListener('change', () => {
  const files = fileInput.files;
  if (files?.length) void addFiles([...files]).finally(() => (fileInput.value = ''));
});
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer?.files.length) void addFiles(e.dataTransfer.files);
});
clearBtn.addEventListener('click', () => {
  loaded.splice(0, loaded.length);
  render();
});
diffA.addEventListener('change', () => renderDiff(labelled()));
diffB.addEventListener('change', () => renderDiff(labelled()));
for (const [f, b] of exportButtons) b.addEventListener('click', () => download(f));
window.tokenbenchCompare = { labels: () => labelled().map((l) => l.label) };
render();
const fromAddress = new URLSearchParams(location.search).getAll('result');
if (fromAddress.length) void addUrls(fromAddress);
