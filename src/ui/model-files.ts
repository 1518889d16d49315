/**
 * The page's model files (GGUF): a file picker, drops onto the page, the list of files held (name, size,
 * Remove), names a request asks for that are not picked yet, and the bar that shows a file loading during a
 * run. The page holds File objects only: a File is a handle, and the run reads it in slices in the worker.
 */
import { fmtBytes } from '../result/formats';
import { type LoadView, loadView } from './loading';
import { append, clear, el } from './dom';

/** Whether a file is a model file the page takes. */
export function isGgufName(name: string): boolean {
  return /\.gguf$/i.test(name);
}

export interface ModelFilesPanel {
  /** Picker, list and the prompt fields handed in. */
  section: HTMLElement;
  /** The loading bar, for the page to place under its progress bar. */
  loading: HTMLElement;
  /** Takes the .gguf files among `files` (a file of the same name is replaced); returns the names refused. */
  add(files: Iterable<File>): string[];
  remove(name: string): boolean;
  /** The files held, in the order they were added. */
  held(): File[];
  /** Names listed: files held and names asked for, in order. */
  names(): string[];
  /** Names asked for (by the address or a request) that no file held has. */
  missing(names?: readonly string[]): string[];
  /** Lists names a request asks for, so the user sees what to pick. */
  want(names: readonly string[]): void;
  /** Whether the models of the workload settings run too (else the files alone replace the suite's list). */
  withModels: HTMLInputElement;
  /** Called after every change of the list. */
  onChange: (() => void) | null;
  /** Called with the names of picked or dropped files that are not .gguf files. */
  onRefused: ((names: string[]) => void) | null;
  /** A progress step of a run reading `files`; undefined ends the run's loading display. */
  progress(step: string | undefined, files?: readonly string[]): void;
  setDisabled(on: boolean): void;
}

/** Builds the panel; `promptRows` (the prompt fields, from the page's settings) go below the list. */
export function createModelFilesPanel(promptRows: HTMLElement[]): ModelFilesPanel {
  const files = new Map<string, File>();
  let wanted: string[] = [];
  const input = el('input', { id: 'gguf-files', type: 'file', accept: '.gguf', multiple: true, 'aria-label': 'Pick GGUF model files' });
  const list = el('ul', { id: 'model-files-list', class: 'file-list' });
  const withModels = el('input', { id: 'gguf-with-models', type: 'checkbox' });
  const withModelsRow = el(
    'div',
    { class: 'controls', hidden: true },
    withModels,
    el('label', { for: 'gguf-with-models' }, 'Also run the models of the token workload settings (otherwise the files alone replace the suite’s models)'),
  );
  const section = el(
    'details',
    { id: 'model-files', open: true },
    el('summary', {}, 'Model files (GGUF) and prompt'),
    el('div', { class: 'controls' }, el('label', { for: 'gguf-files' }, 'Pick .gguf files, or drop them on the page:'), input),
    list,
    withModelsRow,
    el('table', { class: 'kv' }, el('tbody', {}, ...promptRows)),
  );
  const bar = el('progress', { id: 'load-progress', max: '1' });
  const text = el('div', { id: 'load-text', class: 'progress-text', 'aria-live': 'polite' });
  const loading = el('div', { id: 'model-load', hidden: true }, bar, text);
  let complete = new Set<string>();
  /** While a run is in progress the list is read-only. */
  let disabled = false;

  const panel: ModelFilesPanel = {
    section,
    loading,
    withModels,
    onChange: null,
    onRefused: null,
    add(picked) {
      const refused: string[] = [];
      for (const f of picked) {
        if (!isGgufName(f.name)) refused.push(f.name);
        else files.set(f.name, f);
      }
      render();
      return refused;
    },
    remove(name) {
      const had = files.delete(name) || wanted.includes(name);
      wanted = wanted.filter((n) => n !== name);
      render();
      return had;
    },
    held: () => [...files.values()],
    names: () => [...new Set([...files.keys(), ...wanted])],
    missing: (names = wanted) => names.filter((n) => !files.has(n)),
    want(names) {
      wanted = [...names];
      render();
    },
    progress(step, names = []) {
      if (step === undefined) {
        loading.hidden = true;
        complete = new Set();
        return;
      }
      showLoad(loadView(step, names, complete));
    },
    setDisabled(on) {
      disabled = on;
      input.disabled = on;
      withModels.disabled = on;
      for (const b of list.querySelectorAll('button')) b.disabled = on;
    },
  };

  function showLoad(v: LoadView | null): void {
    loading.hidden = v === null;
    if (!v) return;
    if (v.fraction === null) bar.removeAttribute('value');
    else bar.value = v.fraction;
    text.textContent = v.text;
  }

  function render(): void {
    clear(list);
    for (const name of panel.names()) {
      const f = files.get(name);
      const remove = el('button', { class: 'remove-file', 'aria-label': `Remove ${name}`, disabled }, 'Remove');
      remove.addEventListener('click', () => panel.remove(name));
      append(
        list,
        el('li', { 'data-name': name, class: f ? 'picked' : 'missing' }, el('span', { class: 'file-name' }, name), ' ', el('span', { class: 'file-size' }, f ? fmtBytes(f.size) : 'not picked yet: pick or drop it'), ' ', remove),
      );
    }
    if (!list.firstChild) append(list, el('li', { class: 'empty' }, 'No model file: runs use synthetic weights.'));
    withModelsRow.hidden = files.size === 0 && wanted.length === 0;
    panel.onChange?.();
  }

  input.addEventListener('change', () => {
    const refused = panel.add(input.files ?? []);
    if (refused.length) panel.onRefused?.(refused);
    // The same file can be picked again after a Remove.
    input.value = '';
  });
  render();
  return panel;
}
