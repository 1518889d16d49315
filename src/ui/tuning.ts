/** The page's side of autotuning: the per-adapter cache in localStorage and the result's tuning table. */
import { fmtNs } from '../result/formats';
import type { Tuning } from '../schema/result';
import { TUNE_CACHE_KEY, type TuneCache, cacheUpdates, mergeTuneCache, parseTuneCache } from '../runtime';
import { clear, el } from './dom';

/** The cached choices, or none when storage is unavailable or holds something malformed. */
export function loadTuneCache(): TuneCache {
  try {
    return parseTuneCache(localStorage.getItem(TUNE_CACHE_KEY));
  } catch {
    return {};
  }
}

/** Merges a result's newly measured choices into the cache; returns an error message if storage failed. */
export function saveTuneCache(t: Tuning | undefined): string | null {
  const updates = cacheUpdates(t);
  if (!Object.keys(updates).length) return null;
  try {
    localStorage.setItem(TUNE_CACHE_KEY, JSON.stringify(mergeTuneCache(loadTuneCache(), updates)));
    return null;
  } catch (e) {
    return `could not keep the tuning choices in localStorage (${e instanceof Error ? e.message : String(e)}): the next run tunes again`;
  }
}

/** Fills `body` with one row per decision: family, shape, choice, where it came from, every candidate. */
export function renderTuning(body: HTMLTableSectionElement, t: Tuning | undefined): void {
  clear(body);
  for (const e of t?.entries ?? []) {
    const candidates = e.candidates
      .map((c) => `${c.id}${c.id === e.chosen ? ' ✔' : ''}: ${c.state === 'ok' ? (c.medianNs !== undefined ? fmtNs(c.medianNs) : 'checked') : `${c.state}${c.detail ? ` (${c.detail})` : ''}`}`)
      .join(' · ');
    body.appendChild(el('tr', {}, el('td', {}, e.family), el('td', {}, e.key), el('td', {}, e.chosen), el('td', {}, e.source), el('td', {}, candidates + (e.note ? ` — ${e.note}` : ''))));
  }
}
