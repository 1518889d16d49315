import { describe, expect, test } from 'vitest';
import { combine, countNonFinite, notRun, verdict } from '../../src/core/verify';

describe('verdict: the one Verification builder of a comparison', () => {
  test.each([
    { name: 'within the threshold', c: { error: 1e-6, checked: 10, unwritten: 0 }, state: 'passed', error: 1e-6 },
    { name: 'at the threshold', c: { error: 1e-5, checked: 10, unwritten: 0 }, state: 'passed', error: 1e-5 },
    { name: 'above the threshold', c: { error: 2e-5, checked: 10, unwritten: 0 }, state: 'failed', error: 2e-5 },
    { name: 'unwritten outputs, however small the error', c: { error: 0, checked: 10, unwritten: 3 }, state: 'failed', error: 0 },
    { name: 'a non-finite error (reported as -1)', c: { error: Infinity, checked: 10, unwritten: 0 }, state: 'failed', error: -1 },
    { name: 'NaN error', c: { error: NaN, checked: 10, unwritten: 0 }, state: 'failed', error: -1 },
    { name: 'an exact output that differs', c: { error: 0, checked: 10, unwritten: 0, wrong: 1 }, state: 'failed', error: 0 },
  ])('$name', ({ c, state, error }) => {
    const v = verdict('m', 1e-5, c);
    expect(v).toMatchObject({ state, method: 'm', threshold: 1e-5, checked: 10, error });
  });

  test('details name unwritten outputs, differing exact ones, then the caller\'s words', () => {
    expect(verdict('m', 0, { error: 0, checked: 1, unwritten: 0 }).detail).toBeUndefined();
    expect(verdict('m', 0, { error: 0, checked: 4, unwritten: 2, wrong: 1, detail: 'token 3' }).detail).toBe(
      '2 outputs not written (poison survived); 1 outputs that must match exactly differ; token 3',
    );
  });
});

describe('combine and notRun', () => {
  const ok = verdict('a', 1e-5, { error: 1e-7, checked: 5, unwritten: 0 });
  const bad = verdict('b', 1e-5, { error: 1e-3, checked: 7, unwritten: 0 });
  const poisoned = verdict('c', 1e-5, { error: Infinity, checked: 2, unwritten: 2 });

  test('passed cases: the worst error, outputs summed', () => {
    const v = combine('all', 1e-5, [
      { name: 'one', verification: ok },
      { name: 'two', verification: { ...ok, error: 3e-6 } },
    ]);
    expect(v).toEqual({ state: 'passed', method: 'all', error: 3e-6, threshold: 1e-5, checked: 10 });
  });

  test('a failed case fails the whole and is named; a -1 error makes the worst -1', () => {
    const v = combine('all', 1e-5, [
      { name: 'one', verification: ok },
      { name: 'two', verification: bad },
      { name: 'three', verification: poisoned },
    ]);
    expect(v.state).toBe('failed');
    expect(v.error).toBe(-1);
    expect(v.checked).toBe(14);
    expect(v.detail).toBe('two: error 0.001; three: error -1 (2 outputs not written (poison survived))');
  });

  test('a check that could not run fails with the reason', () => {
    expect(notRun('rmsnorm', new Error('boom'))).toEqual({
      state: 'failed',
      method: 'rmsnorm: check did not run',
      error: -1,
      threshold: 0,
      checked: 0,
      detail: 'boom',
    });
  });

  test('countNonFinite counts NaN and infinities', () => {
    expect(countNonFinite([1, NaN, Infinity, -Infinity, 0])).toBe(3);
  });
});
