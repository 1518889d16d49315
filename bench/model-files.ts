/**
 * Model files named on the command line (`--gguf FILE`). The request names each file by its base name, as
 * the page knows a picked file, so the request is the same for every transport and a result never carries a
 * path; the command line keeps the paths here. Before anything runs, every file must be readable and start
 * with GGUF's magic (a usage error otherwise); the Node runner opens them for ranged reads and closes them when the run is over, the
 * browser drivers hand the paths to the page's file input. No npm imports: the Node runner's bundle uses it.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { openFileSource } from '../src/model/gguf/source-node';
import { GGUF_MAGIC } from '../src/model/gguf/types';
import type { ModelFiles, NamedSource } from '../src/run/files';
import type { RunRequest } from '../src/run/request';
import { isModelFile } from '../src/runtime/generation-text';

/** A model file of the command line: the name the request uses for it, and where it is. */
export interface ModelFile {
  name: string;
  /** Absolute path. */
  path: string;
}

/**
 * The request with each model file named by its base name, and the files. Two files with the same name in
 * different folders cannot both be handed to a page (it knows files by name): a usage error.
 */
export function namedModelFiles(request: RunRequest, cwd = process.cwd()): { ok: true; request: RunRequest; files: ModelFile[] } | { ok: false; error: string } {
  const files: ModelFile[] = [];
  const models: RunRequest['generation']['models'] = [];
  for (const m of request.generation.models ?? []) {
    if (!isModelFile(m)) {
      models.push(m);
      continue;
    }
    const file = { name: basename(m.gguf), path: resolve(cwd, m.gguf) };
    const same = files.find((f) => f.name === file.name);
    if (same && same.path !== file.path) return { ok: false, error: `--gguf: two model files are named ${file.name} (${same.path}, ${file.path}): rename or link one` };
    if (!same) files.push(file);
    models.push({ gguf: file.name });
  }
  if (!files.length) return { ok: true, request, files };
  return { ok: true, request: { ...request, generation: { ...request.generation, models } }, files };
}

/**
 * Why a file is not a GGUF file from its first bytes (the magic "GGUF"), or null. The rest of the header is
 * read by the run, which records any other problem on the file's workload.
 */
function magicProblem(path: string): string | null {
  const head = new Uint8Array(4);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, head, 0, 4, 0);
    if (n < 4) return `--gguf ${path}: not a GGUF file (${n} bytes is too short to hold the magic "GGUF")`;
  } finally {
    closeSync(fd);
  }
  if (new DataView(head.buffer).getUint32(0, true) === GGUF_MAGIC) return null;
  const hex = [...head].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  return `--gguf ${path}: not a GGUF file (it starts with ${hex}, not "GGUF")`;
}

/** Why a model file cannot be read or is not a GGUF file, or null: checked before anything runs. */
export function modelFileProblem(f: ModelFile): string | null {
  try {
    if (!statSync(f.path).isFile()) return `--gguf ${f.path}: not a file`;
    accessSync(f.path, constants.R_OK);
    return magicProblem(f.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `--gguf ${f.path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable (permission denied)' : (e as Error).message}`;
  }
}

/** The first problem of any of the files, or null. */
export function modelFilesProblem(files: readonly ModelFile[]): string | null {
  for (const f of files) {
    const p = modelFileProblem(f);
    if (p) return p;
  }
  return null;
}

/**
 * The Node runner's resolver: opens a file when the run asks for it (ranged reads through a file handle,
 * never the whole file in memory), and `close` closes every file it opened.
 */
export function openModelFiles(files: readonly ModelFile[]): { files: ModelFiles; close(): Promise<void> } {
  const open: NamedSource[] = [];
  return {
    files: async (ref) => {
      const f = files.find((x) => x.name === ref);
      if (!f) throw new Error(`model file "${ref}": not named on the command line (--gguf FILE)`);
      const source = await openFileSource(f.path);
      const named: NamedSource = { name: f.name, size: source.size, read: (o, n) => source.read(o, n), close: () => source.close() };
      open.push(named);
      return named;
    },
    close: async () => {
      await Promise.all(open.splice(0).map((s) => s.close?.().catch(() => undefined)));
    },
  };
}
