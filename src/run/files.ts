/**
 * Model files of a run. A config names a GGUF file by reference ({ gguf: ref }); the runtime that started
 * the run resolves references to bytes: Node opens the path, the page hands over a File the user picked or
 * dropped. The run never holds a whole file: it reads ranges of it (ByteSource).
 */
import type { ByteSource } from '../model/gguf/source';

/** A file's bytes, its name (for the result: never a full path) and size. */
export interface NamedSource extends ByteSource {
  readonly name: string;
  /** Frees what opening it took (a Node file handle); absent when there is nothing to free. */
  close?(): Promise<void>;
}

/** Resolves a model file reference of the config; rejects with a message a user can act on. */
export type ModelFiles = (ref: string) => Promise<NamedSource>;

/** The resolver of a runtime that has no files to offer. */
export const NO_FILES: ModelFiles = async (ref) => {
  throw new Error(`model file "${ref}": this runtime was given no files (pick or drop the file in the page; --gguf FILE on the command line)`);
};

/** "loading 12.3 of 456.7 MiB": the progress label of a model file being streamed to the GPU (parseLoadProgress reads it back). */
export function loadProgress(bytes: number, total: number): string {
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  return `loading ${mib(bytes)} of ${mib(total)} MiB`;
}

/** The fraction loaded in a progress label containing loadProgress's text (for a progress bar), or null. */
export function parseLoadProgress(label: string): { loadedMiB: number; totalMiB: number; fraction: number } | null {
  const m = /loading (\d+(?:\.\d+)?) of (\d+(?:\.\d+)?) MiB/.exec(label);
  if (!m) return null;
  const loadedMiB = Number(m[1]);
  const totalMiB = Number(m[2]);
  return { loadedMiB, totalMiB, fraction: totalMiB > 0 ? Math.min(1, loadedMiB / totalMiB) : 1 };
}
