import { describe, expect, test } from 'vitest';
import type { Timer } from '../../src/measure/timer';
import type { GpuWork } from '../../src/core/work';
import type { TuneCandidate, Verification } from '../../src/schema/result';
import { type TuneCache, type TuneTask, TUNE_MARGIN, Tuner, cacheKey, cacheUpdates, mergeTuneCache, parseTuneCache, pickWinner } from '../../src/run/tune/tuner';
import { linearUsage } from '../../src/run/tune/tasks';

const passed: Verification = { state: 'passed', method: 'fake', error: 0, threshold: 1e-5, checked: 1 };
const failed: Verification = { state: 'failed', method: 'fake', error: 0.5, threshold: 1e-5, checked: 1 };

/** A timer whose median per unit is looked up by the work's label; counts what it timed. */
function fakeTimer(ns: Record<string, number>) {
  const timed: string[] = [];
  const timer = {
    info: { source: 'gpu-timestamp' },
    async measure(work: GpuWork) {
      timed.push(work.label);
      const median = ns[work.label];
      if (median === undefined) throw new Error(`no time for ${work.label}`);
      return { perUnitNs: { median } };
    },
  } as unknown as Timer;
  return { timer, timed };
}

interface Spec {
  /** Candidate ids, default first. */
  ids: string[];
  wrong?: string[];
  broken?: string[];
}

function task(spec: Spec, verified: string[] = []): TuneTask<string> {
  return {
    family: 'fake',
    key: 'shape 1',
    candidates: spec.ids.map((id) => ({ id, value: `value-${id}` })),
    async open() {
      return async (v: string) => {
        const id = v.slice('value-'.length);
        if (spec.broken?.includes(id)) throw new Error(`${id} does not compile`);
        return {
          label: id,
          encode: () => {},
          check: async () => {
            verified.push(id);
            return spec.wrong?.includes(id) ? failed : passed;
          },
        };
      };
    },
  };
}

function tuner(timer: Timer, cache: TuneCache = {}, over: Partial<ConstructorParameters<typeof Tuner>[1]> = {}) {
  return new Tuner(timer, {
    enabled: true,
    adapterKey: 'fake-adapter',
    cache,
    maxCandidates: Infinity,
    plan: { minSampleMs: 1, maxSubmitMs: 100, timeoutMs: 1000 },
    guard: (_what, fn) => fn(),
    fatal: (e) => e instanceof Error && e.message.includes('device lost'),
    ...over,
  });
}

describe('pickWinner', () => {
  const c = (id: string, medianNs?: number, state: TuneCandidate['state'] = 'ok'): TuneCandidate => ({ id, state, ...(medianNs !== undefined ? { medianNs } : {}) });

  test('keeps the default when the fastest is within the margin', () => {
    expect(pickWinner([c('def', 100), c('b', 100 * (1 - TUNE_MARGIN / 2))])?.id).toBe('def');
  });
  test('takes a candidate that beats the default by more than the margin', () => {
    expect(pickWinner([c('def', 100), c('b', 80), c('c', 90)])?.id).toBe('b');
  });
  test('never picks a candidate that failed its check, however fast', () => {
    expect(pickWinner([c('def', 100), c('wrong', 1, 'failed'), c('b', 95)])?.id).toBe('b');
    expect(pickWinner([c('def', undefined, 'errored'), c('b', 95)])?.id).toBe('b');
  });
  test('nothing passed: no winner', () => {
    expect(pickWinner([c('a', undefined, 'failed'), c('b', undefined, 'errored')])).toBeUndefined();
  });
});

describe('Tuner', () => {
  test('times every candidate that passes its check and picks the fastest', async () => {
    const { timer, timed } = fakeTimer({ def: 100, fast: 50, wrong: 10 });
    const cache: TuneCache = {};
    const t = tuner(timer, cache);
    const v = await t.choose(task({ ids: ['def', 'fast', 'wrong', 'broken'], wrong: ['wrong'], broken: ['broken'] }));
    expect(v).toBe('value-fast');
    expect(timed).toEqual(['def', 'fast']); // the wrong one is never timed
    const rec = t.record();
    expect(rec.mode).toBe('tuned');
    const [e] = rec.entries;
    expect(e?.source).toBe('measured');
    expect(e?.chosen).toBe('fast');
    expect(e?.candidates.map((r) => r.state)).toEqual(['ok', 'ok', 'failed', 'errored']);
    expect(e?.candidates[3]?.detail).toMatch(/does not compile/);
    expect(cache[e!.cacheKey]).toMatchObject({ chosen: 'fast', medianNs: 50 });
    expect(cacheUpdates(rec)).toEqual({ [e!.cacheKey]: expect.objectContaining({ chosen: 'fast', medianNs: 50 }) });
  });

  test('a cached choice is checked again on the shape, not timed', async () => {
    const first = fakeTimer({ def: 100, fast: 50 });
    const cache: TuneCache = {};
    await tuner(first.timer, cache).choose(task({ ids: ['def', 'fast'] }));
    const again = fakeTimer({ def: 100, fast: 50 });
    const verified: string[] = [];
    const t = tuner(again.timer, cache);
    expect(await t.choose(task({ ids: ['def', 'fast'] }, verified))).toBe('value-fast');
    expect(verified).toEqual(['fast']);
    expect(again.timed).toEqual([]);
    expect(t.record().entries[0]?.source).toBe('cache');
    expect(cacheUpdates(t.record())).toEqual({});
  });

  test('a cached choice that now fails its check is tuned again, and the result says so', async () => {
    const cache: TuneCache = {};
    await tuner(fakeTimer({ def: 100, fast: 50 }).timer, cache).choose(task({ ids: ['def', 'fast'] }));
    const t = tuner(fakeTimer({ def: 100, fast: 50 }).timer, cache);
    expect(await t.choose(task({ ids: ['def', 'fast'], wrong: ['fast'] }))).toBe('value-def');
    const e = t.record().entries[0];
    expect(e?.source).toBe('measured');
    expect(e?.note).toMatch(/cached choice fast failed its check/);
  });

  test('another candidate list (new variants) does not reuse the cache', () => {
    expect(cacheKey('a', 'fake', 'k', ['x', 'y'])).not.toBe(cacheKey('a', 'fake', 'k', ['x', 'y', 'z']));
    expect(cacheKey('a', 'fake', 'k', ['x'])).not.toBe(cacheKey('b', 'fake', 'k', ['x']));
  });

  test('disabled: the default, nothing built or timed, and the result says so', async () => {
    const { timer, timed } = fakeTimer({});
    const verified: string[] = [];
    const t = tuner(timer, {}, { enabled: false });
    expect(await t.choose(task({ ids: ['def', 'fast'] }, verified))).toBe('value-def');
    expect([...timed, ...verified]).toEqual([]);
    expect(t.record()).toMatchObject({ mode: 'disabled', entries: [] });
  });

  test('maxCandidates limits the candidates timed (the default first)', async () => {
    const { timer, timed } = fakeTimer({ def: 100, b: 50, c: 10 });
    await tuner(timer, {}, { maxCandidates: 2 }).choose(task({ ids: ['def', 'b', 'c'] }));
    expect(timed).toEqual(['def', 'b']);
  });

  test('no candidate passing is an error naming each failure', async () => {
    const { timer } = fakeTimer({});
    await expect(tuner(timer).choose(task({ ids: ['a', 'b'], wrong: ['a'], broken: ['b'] }))).rejects.toThrow(/no variant passed.*a: .*b: b does not compile/);
  });

  test('operands that cannot be built (out of memory) leave the default, and the result says why', async () => {
    const { timer, timed } = fakeTimer({});
    const t = tuner(timer);
    const oom: TuneTask<string> = { ...task({ ids: ['def', 'b'] }), open: () => Promise.reject(new Error('out of memory: 2 GiB')) };
    expect(await t.choose(oom)).toBe('value-def');
    expect(timed).toEqual([]);
    expect(t.record().entries[0]).toMatchObject({ source: 'default', chosen: 'def', candidates: [], note: expect.stringMatching(/out of memory: 2 GiB/) });
    expect(cacheUpdates(t.record())).toEqual({});
  });

  test('a fatal error (device lost) ends the tuning instead of one candidate', async () => {
    const { timer } = fakeTimer({});
    const t: TuneTask<string> = { ...task({ ids: ['a'] }), open: async () => async () => Promise.reject(new Error('device lost: gone')) };
    await expect(tuner(timer).choose(t)).rejects.toThrow(/device lost/);
  });
});

describe('tune cache storage', () => {
  test('merging drops the choices of other builds and keeps this build\'s', () => {
    const mine = cacheKey('a', 'linear', 'k', ['x']);
    const other = mine.replace(/\|[^|]*\+[^|]*\|/, '|0.0.1+oldcommit|');
    expect(other).not.toBe(mine);
    const c = { chosen: 'x', medianNs: 1, measuredAt: '2026-01-01T00:00:00Z' };
    const merged = mergeTuneCache({ [mine]: c, [other]: c }, { [`${mine}2`]: c });
    expect(Object.keys(merged).sort()).toEqual([mine, `${mine}2`].sort());
  });

  test('malformed caches are dropped, valid entries kept', () => {
    expect(parseTuneCache(null)).toEqual({});
    expect(parseTuneCache('not json')).toEqual({});
    expect(parseTuneCache('[1,2]')).toEqual({});
    const good = { chosen: 'x', medianNs: 5, measuredAt: '2026-01-01T00:00:00Z' };
    expect(parseTuneCache(JSON.stringify({ k: good, bad: { chosen: 3 }, nan: { ...good, medianNs: 'x' } }))).toEqual({ k: good });
  });
});

describe('linearUsage', () => {
  test('token tiles from decode batches and prompt lengths, with every row count each tile runs (each is checked)', () => {
    const u = linearUsage({ batches: [1, 4, 16, 64], promptLens: [512] });
    expect([...u.layers]).toEqual([
      [1, [1]],
      [4, [4]],
      [8, [16, 64, 512]],
    ]);
    // The head sees one row after a prefill and the batch in decode.
    expect([...u.head]).toEqual([
      [1, [1]],
      [4, [4]],
      [8, [16, 64]],
    ]);
  });
});
