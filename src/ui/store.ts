/**
 * Keeps the latest checkpoint of a running benchmark in IndexedDB, so completed phases survive a reload
 * or a crashed tab. One record; cleared when the run returns. Failures (private mode, quota) are
 * reported to the caller, never thrown at the page.
 */
import type { BenchResult } from '../schema/result';

const DB = 'tokenbench';
const STORE = 'checkpoints';
const KEY = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('indexedDB.open failed'));
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Stores the checkpoint as JSON text (it is re-validated on load like any imported file). */
export function saveCheckpoint(partial: BenchResult): Promise<unknown> {
  return tx('readwrite', (s) => s.put(JSON.stringify(partial), KEY));
}

export async function loadCheckpoint(): Promise<string | null> {
  const v = await tx<unknown>('readonly', (s) => s.get(KEY));
  return typeof v === 'string' ? v : null;
}

export function clearCheckpoint(): Promise<unknown> {
  return tx('readwrite', (s) => s.delete(KEY));
}
