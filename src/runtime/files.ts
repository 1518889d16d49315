/**
 * Model files in a browser: the page hands the worker the File objects it holds (picked or dropped; a File
 * is a handle, structured-cloned to the worker without its bytes) and the run reads them in slices by name.
 */
import { blobSource } from '../model/gguf/source';
import type { ModelFiles } from '../run/files';

/** Resolves a request's `{ gguf: name }` to the file of that name, read in Blob slices, never whole. */
export function blobFiles(files: readonly File[]): ModelFiles {
  return async (ref) => {
    const file = files.find((f) => f.name === ref);
    if (!file) {
      const held = files.map((f) => f.name).join(', ') || 'none';
      throw new Error(`model file "${ref}" was not handed to the worker (files handed over: ${held})`);
    }
    return { name: file.name, ...blobSource(file) };
  };
}
