import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseArgs } from '../../bench/args';
import { mergeTuneCacheFile } from '../../bench/ending';
import { defaultTuneCachePath, readTuneCacheFile, withTuneCache } from '../../bench/tune-cache';
import { tuningSummary } from '../../src/result/formats';
import { defaultRunRequest } from '../../src/run/request';
import type { Tuning } from '../../src/schema/result';
import { cacheKey } from '../../src/run/tune/tuner';
import { parsePageQuery } from '../../src/runtime/request-text';

const tuning = (entries: Tuning['entries']): Tuning => ({
  mode: 'tuned',
  adapterKey: 'a',
  timer: 'gpu-timestamp',
  warmup: 2,
  reps: 5,
  margin: 0.03,
  maxCandidates: null,
  durationMs: 1500,
  entries,
});
const entry = (cacheKey: string, chosen: string, source: 'measured' | 'cache' = 'measured'): Tuning['entries'][number] => ({
  family: 'linear',
  key: 'q4_0 1x64->37',
  cacheKey,
  chosen,
  source,
  candidates: [
    { id: 'def', state: 'ok', medianNs: 200 },
    { id: chosen, state: 'ok', medianNs: 100 },
  ],
});

describe('the CLI tuning cache file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'tb-tune-'));

  test('default path follows XDG_CACHE_HOME', () => {
    expect(defaultTuneCachePath({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/tokenbench/tune-cache.json');
    expect(defaultTuneCachePath({})).toMatch(/\.cache\/tokenbench\/tune-cache\.json$/);
  });

  test('a missing file is an empty cache without a warning', () => {
    expect(readTuneCacheFile(join(dir(), 'none.json'))).toEqual({ cache: {}, warning: null });
  });

  test('measured choices are merged in (directories created); cached ones add nothing', () => {
    const path = join(dir(), 'sub', 'tune.json');
    const [k1, k2, k3] = ['a', 'b', 'c'].map((s) => cacheKey('adapter', 'linear', s, ['x']));
    expect(mergeTuneCacheFile(path, tuning([entry(k1!, 'fast'), entry(k2!, 'x', 'cache')]))).toBe(1);
    expect(mergeTuneCacheFile(path, tuning([entry(k3!, 'other')]))).toBe(1);
    const { cache, warning } = readTuneCacheFile(path);
    expect(warning).toBeNull();
    expect(Object.keys(cache).sort()).toEqual([k1, k3].sort());
    expect(cache[k1!]).toMatchObject({ chosen: 'fast', medianNs: 100 });
  });

  test('a file that is not a cache is reported and ignored, then rewritten on merge', () => {
    const path = join(dir(), 'tune.json');
    writeFileSync(path, 'this is not json');
    expect(readTuneCacheFile(path).warning).toMatch(/not a tokenbench tuning cache/);
    const k1 = cacheKey('adapter', 'linear', 'a', ['x']);
    mergeTuneCacheFile(path, tuning([entry(k1, 'fast')]));
    expect(JSON.parse(readFileSync(path, 'utf8'))[k1].chosen).toBe('fast');
  });
});

describe('tuning options', () => {
  test('--no-tune and --tune-cache', () => {
    const a = parseArgs(['--no-tune', '--tune-cache', '/tmp/t.json']);
    expect(a.kind === 'run' && a.options.request.tune).toEqual({ enabled: false });
    expect(a.kind === 'run' && a.options.tuneCache).toBe('/tmp/t.json');
    const d = parseArgs([]);
    expect(d.kind === 'run' && d.options.request.tune).toEqual({ enabled: true });
    expect(parseArgs(['--tune-cache'])).toEqual({ kind: 'error', message: '--tune-cache needs a value' });
    expect(parseArgs(['--tune'])).toEqual({ kind: 'error', message: 'unknown option "--tune"' });
  });

  test('the cache file travels in the request (tune.cache); none when tuning is off', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tb-tune-')), 'tune.json');
    const k1 = cacheKey('adapter', 'linear', 'a', ['x']);
    mergeTuneCacheFile(path, tuning([entry(k1, 'fast')]));
    expect(withTuneCache(defaultRunRequest('smoke'), path).tune.cache?.[k1]).toMatchObject({ chosen: 'fast' });
    expect(withTuneCache({ ...defaultRunRequest('smoke'), tune: { enabled: false } }, path).tune).toEqual({ enabled: false });
    expect(withTuneCache(defaultRunRequest('smoke'), null).tune).toEqual({ enabled: true });
  });

  test('the page takes tune=0 / tune=1 and rejects anything else', () => {
    const off = parsePageQuery('?tune=0');
    expect(off.ok && off.value.request.tune.enabled).toBe(false);
    const on = parsePageQuery('?suite=smoke');
    expect(on.ok && on.value.request.tune.enabled).toBe(true);
    const bad = parsePageQuery('?tune=maybe');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/tune= must be 1 or 0/);
  });

  test('the summary line says what tuning did', () => {
    expect(tuningSummary(undefined)).toMatch(/not recorded/);
    expect(tuningSummary({ ...tuning([]), mode: 'disabled' })).toMatch(/off/);
    expect(tuningSummary(tuning([entry('k1', 'fast'), entry('k2', 'x', 'cache')]))).toMatch(/2 decisions \(1 timed, 1 from the cache and re-checked\) in 1\.5 s/);
  });
});
