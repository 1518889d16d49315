/**
 * The CLI's tuning cache: a JSON file of choices per adapter, read into the run request before a run
 * (every transport carries it in `request.tune.cache`); bench/ending.ts merges the new choices after it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunRequest } from '../src/run/request';
import { type TuneCache, parseTuneCache } from '../src/run/tune/tuner';

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

/** The cache to hand to a run; an unreadable or malformed file is reported and treated as empty. */
export function loadTuneCacheFile(path: string): TuneCache {
  const { cache, warning } = readTuneCacheFile(path);
  if (warning) process.stderr.write(`tokenbench: ${warning}\n`);
  return cache;
}

/** The request with the file's choices in `tune.cache` (the request carries them to the page or to Dawn). */
export function withTuneCache(request: RunRequest, path: string | null): RunRequest {
  if (!request.tune.enabled || path === null) return { ...request, tune: { enabled: request.tune.enabled } };
  return { ...request, tune: { enabled: true, cache: loadTuneCacheFile(path) } };
}
