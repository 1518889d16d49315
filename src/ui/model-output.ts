/**
 * What a model file produced, beside the figures: per workload, its source (file, size, SHA-256,
 * architecture, parameters, tensor types), its prompt and generated text, and the records of llama.cpp run
 * beside it (peers). Everything here comes from a model file or a result file, so it is set as text
 * (textContent through el()), never parsed as HTML.
 */
import { isFileWorkload, modelSourceFields, promptOf } from '../result/formats';
import type { BenchResult, Workload } from '../schema/result';
import { append, clear, el } from './dom';
import { peersBlock } from './peers';

function kv(rows: Array<[string, string]>): HTMLTableElement {
  return el('table', { class: 'kv' }, el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}

/** One workload's block: heading, source table, prompt and generated text side by side. */
export function modelOutput(w: Workload): HTMLElement {
  const t = w.text;
  return el(
    'article',
    { class: 'model-output', 'data-workload': w.id },
    el('h3', {}, w.source?.kind === 'gguf' ? `${w.id} — ${w.source.file}` : w.id, w.state !== 'ok' ? ` (${w.state}${w.reason ? `: ${w.reason}` : ''})` : ''),
    w.source?.kind === 'gguf' ? kv(modelSourceFields(w.source)) : null,
    t
      ? el(
          'div',
          { class: 'text-pair' },
          el('div', {}, el('h4', {}, `Prompt (${t.promptTokens.length} tokens)`), el('pre', { class: 'prompt' }, t.prompt ?? promptOf(t))),
          el('div', {}, el('h4', {}, `Generated (${t.generatedTokens.length} tokens)`), el('pre', { class: 'generated' }, t.generated), el('div', { class: 'token-ids' }, `token ids: ${t.generatedTokens.join(', ')}`)),
        )
      : null,
    peersBlock(w),
  );
}

/** Replaces `container`'s blocks with those of `r` (hidden when no workload ran a model file). */
export function renderModelOutputs(container: HTMLElement, r: BenchResult): void {
  clear(container);
  appendModelOutputs(container, r.phases.flatMap((p) => p.workloads ?? []));
}

/** Adds the blocks of workloads that ran a model file or produced text (a phase as it finishes). */
export function appendModelOutputs(container: HTMLElement, workloads: readonly Workload[]): void {
  append(container, ...workloads.filter(isFileWorkload).map(modelOutput));
  container.hidden = !container.firstChild;
}
