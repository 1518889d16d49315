/** The CLI's tuning cache: a JSON file of choices per adapter, read before a run and merged after it. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchResult, Tuning } from '../src/schema/result';
import { type TuneCache, cacheUpdates, mergeTuneCache, parseTuneCache } from '../src/run/tune/tuner';

/** $XDG_CACHE_HOME/tokenbench/tune-cache.json, else ~/.cache/tokenbench/tune-cache.json. */
export function defaultTuneCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tokenbench', 'tune-cache.json');
}

/** The cache in `path` (none when the file is missing); a warning when it is unreadable or malformed. */
export function readTuneCacheFile(path: string): { cache: TuneCache; warning: string | null } {
  if (!existsSync(path)) return { cache: {}, warning: null };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { cache: {}, warning: `tuning cache ${path} could not be read (${(e as Error).message}): tuning from scratch` };
  }
  const cache = parseTuneCache(text);
  const entries = Object.keys(cache).length;
  const malformed = entries === 0 && text.trim() !== '' && text.trim() !== '{}';
  return { cache, warning: malformed ? `tuning cache ${path} is not a tokenbench tuning cache: ignored (it will be rewritten)` : null };
}

/** Merges the result's newly measured choices into the file (atomically); returns how many were added. */
export function mergeTuneCacheFile(path: string, tuning: Tuning | undefined): number {
  const updates = cacheUpdates(tuning);
  const n = Object.keys(updates).length;
  if (!n) return 0;
  const merged = mergeTuneCache(readTuneCacheFile(path).cache, updates);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 1)}\n`);
  renameSync(tmp, path);
  return n;
}

/** Merges a result's new tuning choices into the cache file; a failure to write is a warning, not a failed run. */
export function keepTuning(path: string, result: BenchResult): void {
  try {
    const n = mergeTuneCacheFile(path, result.tuning);
    if (n) process.stderr.write(`tokenbench: ${n} tuning choice(s) kept in ${path}\n`);
  } catch (e) {
    process.stderr.write(`tokenbench: could not write the tuning cache ${path}: ${(e as Error).message}\n`);
  }
}

/** The cache to hand to a run; an unreadable or malformed file is reported and treated as empty. */
export function loadTuneCacheFile(path: string): TuneCache {
  const { cache, warning } = readTuneCacheFile(path);
  if (warning) process.stderr.write(`tokenbench: ${warning}\n`);
  return cache;
}
