import { describe, expect, test } from 'vitest';
import { quantileSorted, summarize } from '../../src/measure/stats';

const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('quantileSorted (R type 7)', () => {
  test.each([
    { name: 'minimum', values: oneToTen, q: 0, expected: 1 },
    { name: 'maximum', values: oneToTen, q: 1, expected: 10 },
    { name: 'median of an even count', values: oneToTen, q: 0.5, expected: 5.5 },
    { name: 'p10 interpolates between the first two', values: oneToTen, q: 0.1, expected: 1.9 },
    { name: 'p90 interpolates between the last two', values: oneToTen, q: 0.9, expected: 9.1 },
    { name: 'p25 of [1..10]', values: oneToTen, q: 0.25, expected: 3.25 },
    { name: 'median of an odd count', values: [2, 4, 8], q: 0.5, expected: 4 },
    { name: 'p75 of [0, 10, 20, 40]', values: [0, 10, 20, 40], q: 0.75, expected: 25 },
    { name: 'single value at any q', values: [7], q: 0.37, expected: 7 },
  ])('$name', ({ values, q, expected }) => {
    expect(quantileSorted(values, q)).toBeCloseTo(expected, 12);
  });

  test('empty sample throws', () => {
    expect(() => quantileSorted([], 0.5)).toThrow(/empty/);
  });

  test.each([
    { name: 'below 0', q: -0.01 },
    { name: 'above 1', q: 1.01 },
    { name: 'NaN', q: Number.NaN },
  ])('q $name throws', ({ q }) => {
    expect(() => quantileSorted(oneToTen, q)).toThrow(/out of range/);
  });
});

describe('summarize', () => {
  test('[1..10] by hand', () => {
    const s = summarize(oneToTen);
    expect(s.n).toBe(10);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10);
    expect(s.mean).toBeCloseTo(5.5, 12);
    expect(s.median).toBeCloseTo(5.5, 12);
    expect(s.p10).toBeCloseTo(1.9, 12);
    expect(s.p90).toBeCloseTo(9.1, 12);
    // Sample sd: sum of squared deviations 82.5 over n - 1 = 9.
    expect(s.sd).toBeCloseTo(Math.sqrt(82.5 / 9), 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(82.5 / 9) / 5.5, 12);
  });

  test('[2, 4, 4, 4, 5, 5, 7, 9] by hand', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.median).toBe(4.5);
    // Squared deviations sum to 32; sample variance 32 / 7.
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(32 / 7) / 5, 12);
  });

  test('a single sample has sd 0 and cv 0', () => {
    expect(summarize([1234])).toEqual({
      n: 1,
      median: 1234,
      p10: 1234,
      p90: 1234,
      min: 1234,
      max: 1234,
      mean: 1234,
      sd: 0,
      cv: 0,
    });
  });

  test('identical samples have sd 0 and cv 0', () => {
    const s = summarize([5, 5, 5, 5]);
    expect(s.sd).toBe(0);
    expect(s.cv).toBe(0);
  });

  test('all-zero samples give cv 0 rather than NaN', () => {
    expect(summarize([0, 0, 0]).cv).toBe(0);
  });

  test('empty sample throws', () => {
    expect(() => summarize([])).toThrow(/empty/);
  });

  test.each([
    { name: 'NaN', bad: Number.NaN },
    { name: 'Infinity', bad: Infinity },
    { name: '-Infinity', bad: -Infinity },
  ])('a $name sample throws', ({ bad }) => {
    expect(() => summarize([1, 2, bad, 4])).toThrow(/non-finite/);
  });

  test.each([
    { name: 'reversed', values: [...oneToTen].reverse() },
    { name: 'interleaved', values: [5, 10, 1, 7, 3, 9, 2, 8, 4, 6] },
  ])('order does not matter: $name', ({ values }) => {
    expect(summarize(values)).toEqual(summarize(oneToTen));
  });

  test('does not reorder its input', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
