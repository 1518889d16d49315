/** The bench page: device panel, Run/Cancel, progress, results, export. All GPU work is in the worker. */
import * as Comlink from 'comlink';
import { adapterLabel, fmtBytes, fmtDuration, fmtNs, formats, gemvLines, headlineLines, phaseRows, resultFileName, type Row, tuningSummary, workloadRows } from '../result/formats';
import { PEER_LABEL, resultWorkloads, withPeer } from '../result/peers';
import { type BenchResult, type Environment, type GenerationConfig, MAX_IMPORT_BYTES, type Phase, type TimerInfo, type Workload, parseResultText } from '../schema/result';
import { resultOk } from '../result/verdict';
import {
  type BenchWorkerApi,
  type DescribeOutcome,
  type GenerationKey,
  type PeerModelFile,
  type Progress,
  type RunRequest,
  SUITES,
  WLLAMA_NAME,
  defaultRunRequest,
  generationToParams,
  isModelFile,
  parsePageQuery,
  requestFromTexts,
} from '../runtime';
import { installAutomation } from './automation';
import { append, clear, el, kvTable, scrollBox } from './dom';
import { createModelFilesPanel, isGgufName } from './model-files';
import { appendModelOutputs, renderModelOutputs } from './model-output';
import { peerRatioText } from './peers';
import { clearCheckpoint, loadCheckpoint, saveCheckpoint } from './store';
import { createCostPanel } from './cost-form';
import { createSubmitPanel } from './submit-panel';
import { loadTuneCache, renderTuning, saveTuneCache } from './tuning';

const app = document.getElementById('app') as HTMLElement;
clear(app);

const notices = el('div', { id: 'notices' });
const deviceBody = el('div', { id: 'device' }, 'Looking for a WebGPU adapter…');
const deviceSection = el('section', { 'aria-labelledby': 'device-h' }, el('h2', { id: 'device-h' }, 'Device'), deviceBody);

const suiteSelect = el('select', { id: 'suite', 'aria-label': 'suite' });
for (const s of Object.values(SUITES)) {
  append(suiteSelect, el('option', { value: s.name }, `${s.name} — ${s.description}`));
}
const runBtn = el('button', { id: 'run', class: 'primary', disabled: true }, 'Run');
const cancelBtn = el('button', { id: 'cancel', disabled: true }, 'Cancel');
const exportBtn = el('button', { id: 'export-json', disabled: true }, 'Export JSON');
const tuneBox = el('input', { id: 'tune', type: 'checkbox', checked: true });
/** Runs llama.cpp's WebGPU backend (wllama) on the same model files after tokenbench: `?peer=webgpu`. */
const peerBox = el('input', { id: 'peer-webgpu', type: 'checkbox' });
const copyBtn = el('button', { id: 'copy-json', disabled: true }, 'Copy JSON');
/** Generation settings, one text field each (the options of src/runtime/options.ts: same syntax as the CLI and the URL). */
const GEN_FIELDS: Array<[GenerationKey, string]> = [
  ['models', 'Models (preset names, or a JSON architecture / array)'],
  ['formats', 'Weight formats'],
  ['prompt', 'Prompt lengths'],
  ['gen', 'Generated tokens'],
  ['depths', 'Context depths'],
  ['batches', 'Decode batches'],
  ['gen-reps', 'Repetitions'],
  ['kv-type', 'KV cache (f16 or f32; empty: f16 where the adapter has shader-f16)'],
];
/** The prompt of a model file: with the model files, not with the benchmark's settings. */
const PROMPT_FIELDS: Array<[GenerationKey, string]> = [
  ['prompt-text', 'Prompt text (tokenised with the file’s tokenizer)'],
  ['prompt-tokens', 'Prompt token ids (1,2,3; instead of the text)'],
];
const genInputs = new Map<GenerationKey, HTMLInputElement | HTMLTextAreaElement>([
  ...GEN_FIELDS.map(([key, label]): [GenerationKey, HTMLInputElement] => [key, el('input', { id: `gen-${key}`, type: 'text', 'aria-label': label, size: key === 'models' ? '60' : '14' })]),
  ['prompt-text', el('textarea', { id: 'gen-prompt-text', 'aria-label': 'Prompt text', rows: '3', cols: '60' })],
  ['prompt-tokens', el('input', { id: 'gen-prompt-tokens', type: 'text', 'aria-label': 'Prompt token ids', size: '60' })],
]);
const fieldRow = ([key, label]: [GenerationKey, string]) => el('tr', {}, el('th', {}, el('label', { for: `gen-${key}` }, label)), el('td', {}, genInputs.get(key)!));
const modelFiles = createModelFilesPanel(PROMPT_FIELDS.map(fieldRow));
function fillGenInputs(g: GenerationConfig | Partial<GenerationConfig>): void {
  for (const [key, text] of generationToParams(g)) {
    const input = genInputs.get(key);
    // Preset lists read better as names than as JSON.
    if (input) input.value = key === 'models' && g.models?.every((m) => typeof m === 'string') ? g.models.join(',') : text;
  }
}
const genFieldset = el(
  'details',
  { id: 'generation-settings' },
  el('summary', {}, 'Token workload settings'),
  el('table', { class: 'kv' }, el('tbody', {}, ...GEN_FIELDS.map(fieldRow))),
);
/** "Submit to board": the result shown, as Export JSON saves it. */
const submitPanel = createSubmitPanel(() => (lastResult ? formats.json(lastResult) : null));
const progressBar = el('progress', { id: 'progress', max: '1', value: '0' });
const progressText = el('div', { id: 'progress-text', class: 'progress-text', 'aria-live': 'polite' });
const controls = el(
  'section',
  { 'aria-labelledby': 'run-h' },
  el('h2', { id: 'run-h' }, 'Run'),
  el('div', { class: 'controls' }, el('label', { for: 'suite' }, 'Suite'), suiteSelect, runBtn, cancelBtn, exportBtn, copyBtn),
  el(
    'div',
    { class: 'controls' },
    tuneBox,
    el('label', { for: 'tune' }, 'Autotune kernels for this adapter (choices are cached in this browser and re-checked on every run)'),
  ),
  el(
    'div',
    { class: 'controls' },
    peerBox,
    el(
      'label',
      { for: 'peer-webgpu' },
      'Compare with llama.cpp (WebGPU, in this page): synthetic models are written to GGUF files and llama.cpp runs the same bytes after tokenbench',
    ),
  ),
  submitPanel.element,
  modelFiles.section,
  genFieldset,
  progressBar,
  progressText,
  modelFiles.loading,
);

const importInput = el('input', { id: 'import-json', type: 'file', accept: 'application/json,.json', 'aria-label': 'Open a result JSON file' });
const resultsBody = el('tbody', { id: 'results-body' });
const resultsSummary = el('div', { id: 'results-summary', class: 'progress-text' });
/** The headline view of the result shown: one line per model x format, before the detailed tables. */
const headlineList = el('ul', { id: 'headline', class: 'headline' });
const tokensBody = el('tbody', { id: 'tokens-body' });
const tokensTable = el(
  'table',
  { id: 'tokens' },
  el('thead', {}, el('tr', {}, ...['Model', 'Format', 'Test', 'tok/s (± sd)', 'Source', 'Wall tok/s', 'Latency', 'Efficiency', 'vs llama.cpp'].map((h) => el('th', {}, h)))),
  tokensBody,
);
/** Source and text of every workload that ran a model file, beside the token table. */
const modelOutputs = el('div', { id: 'model-outputs', hidden: true });
const timerLine = el('div', { id: 'timer-info', class: 'progress-text' });
const gemvLine = el('div', { id: 'gemv', class: 'progress-text' });
const tuningLine = el('div', { id: 'tuning-summary', class: 'progress-text' });
const tuningBody = el('tbody', { id: 'tuning-body' });
const tuningDetails = el(
  'details',
  { id: 'tuning' },
  el('summary', {}, tuningLine),
  scrollBox(el('table', {}, el('thead', {}, el('tr', {}, ...['Kernel', 'Shape', 'Chosen', 'Source', 'Candidates (median per call)'].map((h) => el('th', {}, h)))), tuningBody)),
);
const resultsSection = el(
  'section',
  { 'aria-labelledby': 'results-h' },
  el('h2', { id: 'results-h' }, 'Results'),
  el('div', { class: 'controls' }, el('label', { for: 'import-json' }, 'Open a result JSON:'), importInput),
  headlineList,
  timerLine,
  scrollBox(
    el(
      'table',
      { id: 'results' },
      el(
        'thead',
        {},
        el('tr', {}, ...['Phase', 'Test', 'Median', 'p10–p90', 'CV', 'Time / unit', 'Verification'].map((h) => el('th', {}, h))),
      ),
      resultsBody,
    ),
  ),
  el('h2', {}, 'Token results'),
  scrollBox(tokensTable),
  modelOutputs,
  resultsSummary,
  gemvLine,
  tuningDetails,
);

// Cost inputs apply to the result shown: a new run, or an imported file once the form is edited.
const costPanel = createCostPanel(() => {
  if (!lastResult) return;
  lastResult = costPanel.attach(lastResult);
  costPanel.show(lastResult);
});
append(app, notices, deviceSection, controls, resultsSection, costPanel.section);

function notice(kind: 'error' | 'warn' | 'info', text: string, id?: string): HTMLElement {
  const n = el('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status', id }, text);
  append(notices, n);
  return n;
}

function renderDevice(env: Environment): void {
  clear(deviceBody);
  const a = env.adapter;
  const subgroups =
    a.subgroupMinSize !== undefined ? `${a.subgroupMinSize}–${a.subgroupMaxSize ?? '?'}` : 'not reported';
  append(
    deviceBody,
    kvTable([
      ['Vendor', a.vendor || '(empty)'],
      ['Architecture', a.architecture || '(empty)'],
      ['Device', a.device || '(empty)'],
      ['Description', a.description || '(empty)'],
      ['isFallbackAdapter', String(a.isFallbackAdapter)],
      ['Software adapter', env.software.isSoftware ? `yes — ${env.software.reason}` : 'no'],
      ['Subgroup sizes', subgroups],
      ['Features (device)', env.deviceFeatures.join(', ') || 'none'],
      ['User agent', navigator.userAgent],
    ]),
  );
  const names = Object.keys(env.adapterLimits).sort();
  append(
    deviceBody,
    el(
      'details',
      {},
      el('summary', {}, 'Limits: adapter maximum vs granted to the device'),
      scrollBox(
        el(
          'table',
          { id: 'limits' },
          el('thead', {}, el('tr', {}, el('th', {}, 'Limit'), el('th', {}, 'Adapter'), el('th', {}, 'Granted'))),
          el(
            'tbody',
            {},
            ...names.map((n) =>
              el('tr', {}, el('td', {}, n), el('td', { class: 'num' }, String(env.adapterLimits[n])), el('td', { class: 'num' }, String(env.deviceLimits[n] ?? '—'))),
            ),
          ),
        ),
      ),
    ),
    el('details', {}, el('summary', {}, 'All adapter features'), el('div', { class: 'features' }, env.adapterFeatures.join(', '))),
  );
  if (env.software.isSoftware) {
    notice(
      'warn',
      `Software adapter (${env.software.reason}). Figures measure a CPU emulation of a GPU: use them to check the ` +
        'harness, never as hardware results. The standard suite takes hours here; smoke is selected unless the URL asks otherwise.',
      'software-warning',
    );
  }
}

function appendRows(rows: Row[]): void {
  for (const r of rows) {
    append(
      resultsBody,
      el(
        'tr',
        { class: `state-${r.state}` },
        el('td', {}, r.phase),
        el('td', {}, r.test),
        el('td', { class: 'num value' }, r.value),
        el('td', { class: 'num' }, r.spread),
        el('td', { class: 'num' }, r.cv),
        el('td', { class: 'num' }, r.time),
        el('td', {}, r.verification),
      ),
    );
  }
}

/** The token table's rows of workloads, with each test's share of llama.cpp's speed where a peer ran. */
function appendTokenRows(workloads: readonly Workload[]): void {
  for (const w of workloads) appendWorkloadRows(w);
}

function appendWorkloadRows(w: Workload): void {
  const tests = w.state === 'ok' ? w.tests : [];
  for (const [i, r] of workloadRows(w).entries()) {
    const t = tests[i];
    append(
      tokensBody,
      el(
        'tr',
        { class: `state-${r.state}` },
        el('td', {}, r.model),
        el('td', {}, r.format),
        el('td', {}, r.test),
        el('td', { class: 'num value' }, r.tokPerSec),
        el('td', {}, r.source),
        el('td', { class: 'num' }, r.wall),
        el('td', {}, r.latency),
        el('td', {}, r.bound),
        el('td', { class: 'peer-ratio' }, t ? peerRatioText(w, t) : ''),
      ),
    );
  }
}

function renderTimer(t: TimerInfo): void {
  timerLine.textContent =
    `Timer: ${t.source === 'gpu-timestamp' ? 'GPU timestamps' : 'wall clock'}, resolution ${fmtNs(t.resolutionNs)}` +
    `${t.quantized ? ' (quantised)' : ''}; submit round trip ${fmtNs(t.roundTripNs)}. ${t.notes}`;
}

function renderProgress(p: Progress): void {
  progressBar.value = p.fraction;
  const eta = p.etaMs === null ? 'estimating time left…' : `~${fmtDuration(p.etaMs)} left`;
  progressText.textContent =
    `Phase ${p.phaseIndex + 1}/${p.phaseCount} · ${p.phaseTitle} · ${p.step} · ${Math.round(p.fraction * 100)}% · ` +
    `${fmtDuration(p.elapsedMs)} elapsed · ${eta}`;
}

let lastResult: BenchResult | null = null;
let running = false;

function setRunning(on: boolean): void {
  running = on;
  runBtn.disabled = on;
  suiteSelect.disabled = on;
  tuneBox.disabled = on;
  peerBox.disabled = on;
  cancelBtn.disabled = !on;
  modelFiles.setDisabled(on);
  syncModelsField();
  exportBtn.disabled = on || !lastResult;
  copyBtn.disabled = on || !lastResult;
  submitPanel.setEnabled(!on && lastResult !== null);
}

const worker = new Worker(new URL('../runtime/worker.ts', import.meta.url), { type: 'module', name: 'tokenbench' });
const bench = Comlink.wrap<BenchWorkerApi>(worker);

/** The names of the model files a request runs. */
function fileRefs(r: RunRequest): string[] {
  return (r.generation.models ?? []).filter(isModelFile).map((m) => m.gguf);
}

/**
 * Shows a request in the controls, so a run started by the URL or by automation reads like a Run click:
 * its model files in the list (those not picked yet as such), its other models in the settings.
 */
function showRequest(r: RunRequest): void {
  suiteSelect.value = r.suite;
  tuneBox.checked = r.tune.enabled;
  peerBox.checked = r.peers?.engines.includes('webgpu') ?? false;
  // Settings a suite does not give are cleared, so an earlier request's value does not linger.
  for (const key of [...PROMPT_FIELDS.map(([k]) => k), 'kv-type' as const]) genInputs.get(key)!.value = '';
  fillGenInputs(SUITES[r.suite].config.generation);
  const { models, ...rest } = r.generation;
  const others = (models ?? []).filter((m) => !isModelFile(m));
  fillGenInputs(others.length ? { ...rest, models: others } : rest);
  const files = fileRefs(r);
  if (files.length) modelFiles.withModels.checked = others.length > 0;
  modelFiles.want(files);
}

/** With model files listed, the models field runs only when asked to; it says so by being disabled. */
function syncModelsField(): void {
  const models = genInputs.get('models');
  if (models) models.disabled = running || (modelFiles.names().length > 0 && !modelFiles.withModels.checked);
}

/** The request of the controls: suite, tuning, workload fields (parsed like URL parameters) and the cost panel. */
function formRequest(): RunRequest | null {
  document.getElementById('gen-error')?.remove();
  const texts = new Map<string, string[]>([
    ['suite', [suiteSelect.value]],
    ['tune', [tuneBox.checked ? '1' : '0']],
  ]);
  if (peerBox.checked) texts.set('peer', ['webgpu']);
  const files = modelFiles.names();
  for (const [key, input] of genInputs) {
    if (key === 'models' && files.length && !modelFiles.withModels.checked) continue;
    // A prompt's text is kept exactly as typed (spaces and line breaks are tokens).
    if (input.value.trim()) texts.set(key, [key === 'prompt-text' ? input.value : input.value.trim()]);
  }
  if (files.length) texts.set('gguf', files);
  const r = requestFromTexts(texts, 'url');
  if (!r.ok) {
    notice('error', `Token workload settings: ${r.error}`, 'gen-error');
    return null;
  }
  return { ...r.value, cost: costPanel.inputs() };
}

/**
 * Every run of this page goes through here: the Run button, `?autorun=1` and `window.tokenbench.run`.
 * Rejects while another run is in progress, or when the worker itself fails.
 */
function startRun(request: RunRequest): Promise<BenchResult> {
  if (running) return Promise.reject(new Error('a run is already in progress on this page'));
  document.getElementById('files-error')?.remove();
  const names = fileRefs(request);
  const missing = modelFiles.missing(names);
  if (missing.length) {
    const error =
      `model file${missing.length > 1 ? 's' : ''} not in this page: ${missing.map((n) => `"${n}"`).join(', ')}. Pick or drop ` +
      `${missing.length > 1 ? 'them' : 'it'} (automation: window.tokenbench.addFiles); files held: ${modelFiles.held().map((f) => f.name).join(', ') || 'none'}`;
    showRequest(request);
    notice('error', error, 'files-error');
    return Promise.reject(new Error(error));
  }
  showRequest(request);
  // Only the files the request names go to the worker: handles, not bytes.
  const run = runInWorker(request, modelFiles.held().filter((f) => names.includes(f.name)));
  trackRun(run);
  return run;
}

/** Peer model files this page wrote, by what they were written from: a later run of the same models reuses them. */
const peerFiles = new Map<string, File>();

/**
 * A request with peers runs its synthetic models as GGUF files (src/run/peers/models.ts): the request that
 * names them and the files, each held already (picked, or handed over by the CLI), written by an earlier run,
 * or written now in the worker.
 */
async function withPeerFiles(request: RunRequest, files: File[]): Promise<{ request: RunRequest; files: File[] }> {
  const { request: run, files: models, problems } = await bench.peerModels(request);
  document.getElementById('peer-problems')?.remove();
  if (problems.length) {
    notice('warn', `Not run (no GGUF file can hold them, so llama.cpp cannot run them): ${problems.map((p) => `${p.preset} ${p.format}: ${p.reason}`).join('; ')}`, 'peer-problems');
  }
  const held = new Map(modelFiles.held().map((f) => [f.name, f]));
  const out = new Map(files.map((f) => [f.name, f]));
  const toWrite: PeerModelFile[] = [];
  for (const m of models) {
    const f = held.get(m.name) ?? peerFiles.get(JSON.stringify(m));
    if (f) out.set(f.name, f);
    else toWrite.push(m);
  }
  if (toWrite.length) {
    const report = (name: string, bytes: number) => void (progressText.textContent = `Writing ${name} for llama.cpp: ${fmtBytes(bytes)}…`);
    const written = await bench.writePeerModels(toWrite, Comlink.proxy(report));
    for (const [i, f] of written.entries()) {
      peerFiles.set(JSON.stringify(toWrite[i]), f);
      out.set(f.name, f);
    }
  }
  return { request: run, files: [...out.values()] };
}

/**
 * llama.cpp's WebGPU peer on the workloads of a finished run; a failure of the worker itself is recorded on
 * them. Its steps go to the page and, as one more phase after tokenbench's (`last`), to automation.
 */
async function runPeers(result: BenchResult, files: File[], last: Progress | null): Promise<BenchResult> {
  progressText.textContent = `${PEER_LABEL.webgpu}: starting…`;
  const started = performance.now();
  const count = (last?.phaseCount ?? 0) + 1;
  const show = (step: string) => {
    progressText.textContent = step;
    window.tokenbench.onProgress?.({
      phaseId: 'peers',
      phaseTitle: PEER_LABEL.webgpu,
      phaseIndex: count - 1,
      phaseCount: count,
      step,
      stepsDone: 0,
      stepCount: 1,
      fraction: last?.fraction ?? 1,
      elapsedMs: (last?.elapsedMs ?? 0) + performance.now() - started,
      etaMs: null,
    });
  };
  try {
    return await bench.runPeers(result, files, Comlink.proxy(show));
  } catch (e) {
    const reason = `the peer run failed in the worker: ${e instanceof Error ? e.message : String(e)}`;
    return resultWorkloads(result)
      .filter((w) => w.state === 'ok' && w.source?.kind === 'gguf')
      .reduce((r, w) => withPeer(r, w.id, { engine: 'webgpu', state: 'errored', reason, name: WLLAMA_NAME, tests: [] }), result);
  }
}

async function runInWorker(original: RunRequest, held: File[]): Promise<BenchResult> {
  clear(headlineList);
  clear(resultsBody);
  clear(tokensBody);
  clear(modelOutputs);
  modelOutputs.hidden = true;
  resultsSummary.textContent = '';
  progressBar.value = 0;
  progressText.textContent = `Starting the ${original.suite} suite…`;
  setRunning(true);
  // Progress arrives on its own channel and may trail the result: ignore it once the run has returned.
  let returned = false;
  let last: Progress | null = null;
  try {
    const { request, files } = original.peers ? await withPeerFiles(original, held) : { request: original, files: held };
    const names = files.map((f) => f.name);
    // Without a cache in the request, the choices kept in this browser.
    const tune = request.tune.enabled ? { enabled: true, cache: request.tune.cache ?? loadTuneCache() } : { enabled: false };
    const result = await bench.run(
      { ...request, tune },
      Comlink.proxy({
        onProgress: (p: Progress) => {
          if (returned) return;
          last = p;
          renderProgress(p);
          modelFiles.progress(p.step, names);
          window.tokenbench.onProgress?.(p);
        },
        onPhase: (phase: Phase) => {
          appendRows(phaseRows(phase));
          appendTokenRows(phase.workloads ?? []);
          appendModelOutputs(modelOutputs, phase.workloads ?? []);
        },
        onEnvironment: (_env: Environment, timer: TimerInfo) => renderTimer(timer),
        onCheckpoint: (partial: BenchResult) => {
          if (returned) return;
          saveCheckpoint(partial).catch((e: unknown) => storageWarning(e));
        },
      }),
      files,
    );
    returned = true;
    // The page runs the WebGPU peer; native llama.cpp is the command line's (it adds that record itself).
    const final = original.peers?.engines.includes('webgpu') ? await runPeers(result, files, last) : result;
    await finishRun(final);
    return final;
  } catch (e) {
    notice('error', `The benchmark worker failed: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  } finally {
    modelFiles.progress(undefined);
    setRunning(false);
  }
}

/** A run returned: keep its tuning choices, drop the checkpoint, show it. */
async function finishRun(result: BenchResult): Promise<void> {
  const tuneError = saveTuneCache(result.tuning);
  if (tuneError) notice('warn', tuneError);
  lastResult = result;
  await clearCheckpoint().catch((e: unknown) => storageWarning(e));
  showResult(result, 'this run');
  progressText.textContent = `${result.status === 'completed' ? 'Finished' : result.status === 'cancelled' ? 'Cancelled' : 'Failed'} in ${fmtDuration(Date.parse(result.finishedAt) - Date.parse(result.startedAt))}.`;
  if (result.status === 'completed') progressBar.value = 1;
  if (result.status === 'failed') notice('error', result.errors.map((e) => e.message).join('\n'));
}

/** Renders a whole result (a finished run or an imported file) into the table, from the result alone. */
function showResult(result: BenchResult, source: string): void {
  costPanel.show(result);
  clear(headlineList);
  for (const line of headlineLines(result)) headlineList.append(el('li', {}, line.trim()));
  clear(resultsBody);
  appendRows(result.phases.flatMap((p) => phaseRows(p)));
  clear(tokensBody);
  appendTokenRows(resultWorkloads(result));
  renderModelOutputs(modelOutputs, result);
  const gemv = gemvLines(result);
  gemvLine.textContent = gemv.length ? `Decode GEMV, one token, each projection timed alone, streamed through distinct weight copies (bytes read / median time): ${gemv.join(' | ')}` : '';
  tuningLine.textContent = tuningSummary(result.tuning);
  renderTuning(tuningBody, result.tuning);
  if (result.timer) renderTimer(result.timer);
  else timerLine.textContent = 'Timer: none (no device)';
  const ok = resultOk(result);
  const v = result.verification;
  resultsSummary.textContent =
    `${source}: ${result.status} · ${ok ? 'all figures verified' : 'NOT all figures are valid (see rows)'} · verification ${v.state} ` +
    `(${v.passed} passed, ${v.failed} failed) · ${adapterLabel(result)} · tokenbench ${result.tool.version}` +
    (result.errors.length ? ` · ${result.errors.length} error(s): ${result.errors.map((e) => e.message).join(' | ')}` : '') +
    (result.drift ? ` · drift ${(result.drift.change * 100).toFixed(1)}%${result.drift.flagged ? ' (FLAGGED)' : ''}` : '') +
    result.phases.flatMap((p) => (p.warnings ?? []).map((w) => ` · ${p.title}: ${w}`)).join('');
}

let storageWarned = false;
function storageWarning(e: unknown): void {
  if (storageWarned) return;
  storageWarned = true;
  notice('warn', `Cannot keep run checkpoints in this browser's storage (${e instanceof Error ? e.message : String(e)}): export results when runs finish.`);
}

/** Offers the phases of a run that never returned (reload, closed tab, crash), kept in IndexedDB. */
async function offerRecovered(): Promise<void> {
  let text: string | null;
  try {
    text = await loadCheckpoint();
  } catch (e) {
    storageWarning(e);
    return;
  }
  if (!text) return;
  const parsed = parseResultText(text);
  if (!parsed.ok) {
    await clearCheckpoint().catch(() => undefined);
    return;
  }
  const r = parsed.result;
  const box = notice(
    'warn',
    `A ${r.config.suite} run started ${r.startedAt} did not finish; ${r.phases.length} completed phase(s) were kept. `,
    'recovered',
  );
  const show = el('button', { id: 'recovered-show' }, 'Show');
  const discard = el('button', { id: 'recovered-discard' }, 'Discard');
  show.addEventListener('click', () => {
    lastResult = r;
    showResult(r, 'recovered run');
    setRunning(running);
  });
  discard.addEventListener('click', () => {
    void clearCheckpoint()
      .catch((e: unknown) => storageWarning(e))
      .finally(() => box.remove());
  });
  append(box, show, ' ', discard);
}

async function importFile(file: File): Promise<void> {
  document.getElementById('import-error')?.remove();
  if (file.size > MAX_IMPORT_BYTES) {
    notice('error', `${file.name}: file too large (${file.size} bytes > ${MAX_IMPORT_BYTES})`, 'import-error');
    return;
  }
  const parsed = parseResultText(await file.text());
  if (!parsed.ok) {
    notice('error', `${file.name}: ${parsed.error}`, 'import-error');
    return;
  }
  lastResult = costPanel.adopt(parsed.result);
  showResult(lastResult, `imported ${file.name}`);
  setRunning(running);
}

function download(): void {
  if (!lastResult) return;
  const blob = new Blob([formats.json(lastResult)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: resultFileName(lastResult) });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function copy(): Promise<void> {
  if (!lastResult) return;
  try {
    await navigator.clipboard.writeText(formats.json(lastResult));
    copyBtn.textContent = 'Copied';
    setTimeout(() => (copyBtn.textContent = 'Copy JSON'), 1500);
  } catch (e) {
    notice('warn', `Could not copy to the clipboard (${e instanceof Error ? e.message : String(e)}); use Export JSON instead.`);
  }
}

document.addEventListener('visibilitychange', () => {
  const hidden = document.visibilityState === 'hidden';
  void bench.setHidden(hidden);
  if (hidden && running && !document.getElementById('hidden-warning')) {
    notice(
      'warn',
      'The page was hidden during the run. Browsers throttle hidden pages, so the phases running meanwhile are flagged ' +
        'in the result; keep the tab visible (or use the CLI) for trustworthy figures.',
      'hidden-warning',
    );
  }
});
runBtn.addEventListener('click', () => {
  const request = formRequest();
  // A failure is already on the page as a notice.
  if (request) startRun(request).catch(() => undefined);
});
function cancel(): void {
  if (running) progressText.textContent = 'Cancelling after the current batch…';
  void bench.cancel();
}
cancelBtn.addEventListener('click', cancel);
exportBtn.addEventListener('click', download);
importInput.addEventListener('change', () => {
  const file = importInput.files?.[0];
  if (file) void importFile(file);
  importInput.value = '';
});
copyBtn.addEventListener('click', () => void copy());
worker.addEventListener('error', (ev) => notice('error', `Worker error: ${ev.message}`));

function refusedFiles(names: string[]): void {
  notice('warn', `Not a model file (.gguf): ${names.join(', ')}. Result files (.json) open with "Open a result JSON" or by dropping them.`);
}
modelFiles.onRefused = refusedFiles;
modelFiles.withModels.addEventListener('change', syncModelsField);

// Files dropped anywhere on the page: .gguf files join the model files, a .json result opens.
document.addEventListener('dragover', (ev) => {
  if (!ev.dataTransfer?.types.includes('Files')) return;
  ev.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (ev) => {
  if (!ev.relatedTarget) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (ev) => {
  if (!ev.dataTransfer?.files.length) return;
  ev.preventDefault();
  document.body.classList.remove('dragging');
  const dropped = [...ev.dataTransfer.files];
  const result = dropped.find((f) => /\.json$/i.test(f.name));
  const refused = modelFiles.add(dropped.filter((f) => f !== result));
  if (refused.length) refusedFiles(refused);
  if (result) void importFile(result);
});

let markReady: () => void = () => undefined;
let markDescribed: (d: DescribeOutcome) => void = () => undefined;
const trackRun = installAutomation({
  ready: new Promise<void>((r) => (markReady = r)),
  described: new Promise<DescribeOutcome>((r) => (markDescribed = r)),
  start: startRun,
  cancel,
  files: {
    add(files) {
      const bad = files.filter((f) => !isGgufName(f.name));
      if (bad.length) throw new Error(`not model files (.gguf): ${bad.map((f) => f.name).join(', ')}`);
      modelFiles.add(files);
      return modelFiles.held().map((f) => f.name);
    },
    list: () => modelFiles.held().map((f) => ({ name: f.name, size: f.size })),
    remove: (name) => modelFiles.remove(name),
  },
});

/** An `?autorun` whose model files are not picked yet: it starts once they are. */
let waitingRun: (() => void) | null = null;
modelFiles.onChange = () => {
  syncModelsField();
  if (waitingRun) waitingRun();
};

/** Starts the address's run now, or once the model files it names are picked. */
function autorun(request: RunRequest): void {
  const go = () => void startRun({ ...request, cost: costPanel.inputs() }).catch(() => undefined);
  const missing = modelFiles.missing(fileRefs(request));
  if (!missing.length) return go();
  const waiting = notice('info', `The run starts once ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} picked or dropped here.`, 'autorun-waiting');
  waitingRun = () => {
    if (running || modelFiles.missing(fileRefs(request)).length) return;
    waitingRun = null;
    waiting.remove();
    go();
  };
}

async function start(): Promise<void> {
  await offerRecovered();
  const query = parsePageQuery(location.search);
  if (!query.ok) notice('error', `${query.error}. Example: ?suite=smoke&autorun=1`, 'params-error');
  // The controls show what the address asks for (else the defaults) while the device is looked for.
  let request = query.ok ? query.value.request : defaultRunRequest();
  showRequest(request);
  suiteSelect.addEventListener('change', () => fillGenInputs(SUITES[suiteSelect.value as keyof typeof SUITES].config.generation));
  if (!('gpu' in navigator)) {
    notice(
      'error',
      'This browser does not expose WebGPU (navigator.gpu is missing). Use Chrome or Edge 113+, Safari 26+, or ' +
        'Firefox 141+ on Windows, on https or http://127.0.0.1. On Linux, Chrome needs --enable-unsafe-webgpu.',
      'no-webgpu',
    );
  }
  const described = await bench.describe();
  markDescribed(described);
  if (described.ok) {
    renderDevice(described.environment);
    if (described.environment.software.isSoftware && !(query.ok && query.value.given.has('suite'))) {
      request = { ...request, suite: 'smoke' };
      showRequest(request);
    }
  } else {
    clear(deviceBody);
    append(deviceBody, 'No WebGPU device.');
    notice('error', described.error, 'no-adapter');
  }
  // Without a device a run still produces a (failed) result, so automation gets an answer.
  runBtn.disabled = false;
  markReady();
  // The cost panel holds the URL's cost inputs (else this browser's), as for the Run button.
  if (query.ok && query.value.autorun) autorun(request);
}

void start();
