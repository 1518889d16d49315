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

/**
 * The sub-step label of reading a model file (`ctx.report(loadingLabel(...))` while tensors stream in):
 * the page draws it as a progress bar with the bytes loaded, the CLI prints it. One format, written here
 * and read by parseLoadingLabel, so the two cannot drift.
 */
export function loadingLabel(name: string, loaded: number, total: number): string {
  return `loading ${name}: ${loaded} / ${total} bytes`;
}

/** How far a model file has loaded, from a progress step that ends with a loadingLabel; null otherwise. */
export function parseLoadingLabel(step: string): { name: string; loaded: number; total: number } | null {
  const m = /(?:^| · )loading (.+): (\d+) \/ (\d+) bytes$/.exec(step);
  if (!m) return null;
  const loaded = Number(m[2]);
  const total = Number(m[3]);
  return Number.isSafeInteger(loaded) && Number.isSafeInteger(total) && loaded <= total ? { name: m[1] as string, loaded, total } : null;
}
