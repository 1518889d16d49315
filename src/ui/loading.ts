/**
 * What the page's loading bar says while a run reads a model file, from the run's progress steps alone.
 * Pure (no DOM), so it is unit-tested.
 */
import { fmtBytes } from '../result/formats';
import { parseLoadingLabel } from '../runtime';

export interface LoadView {
  file: string;
  /** 0..1, or null when the step names the file without saying how much of it has loaded. */
  fraction: number | null;
  text: string;
}

/**
 * The bar for one progress step of a run that reads `files` (names). A step with the loading label gives
 * the bytes loaded; another step of a file's work shows its label (the bar full once that file was seen
 * complete, else indeterminate); a step about none of the files hides the bar (null). `complete` collects
 * the files seen fully loaded, across the steps of one run.
 */
export function loadView(step: string, files: readonly string[], complete: Set<string>): LoadView | null {
  const l = parseLoadingLabel(step);
  if (l) {
    if (l.loaded === l.total) complete.add(l.name);
    const fraction = l.total > 0 ? l.loaded / l.total : 1;
    return { file: l.name, fraction, text: `Loading ${l.name}: ${fmtBytes(l.loaded)} of ${fmtBytes(l.total)} (${Math.floor(fraction * 100)}%)` };
  }
  const file = files.find((f) => step.includes(f));
  if (file === undefined) return null;
  return complete.has(file) ? { file, fraction: 1, text: `${file} loaded · ${step}` } : { file, fraction: null, text: step };
}
