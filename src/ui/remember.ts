/**
 * What the pages keep in the browser (board addresses, board tokens): Web Storage that may be refused
 * (private mode, a full quota, storage turned off), in which case the value lasts until the page is left
 * and the user types it again next time. Never throws.
 */

/** localStorage outlives the tab; sessionStorage ends with it (the board's read token). */
export type Keep = 'local' | 'session';

function store(keep: Keep): Storage {
  return keep === 'local' ? localStorage : sessionStorage;
}

/** The value kept under `key`, or null (none, empty, or storage refused). */
export function recall(keep: Keep, key: string): string | null {
  try {
    return store(keep).getItem(key) || null;
  } catch {
    return null;
  }
}

/** Keeps `value` under `key`; null or empty forgets it. */
export function remember(keep: Keep, key: string, value: string | null): void {
  try {
    if (value) store(keep).setItem(key, value);
    else store(keep).removeItem(key);
  } catch {
    // storage refused: see above
  }
}
