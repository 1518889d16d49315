import { describe, expect, test } from 'vitest';
import { compareSamples, mannWhitney, normalCdf } from '../../src/measure/stats';

describe('significance of a change', () => {
  test.each([
    [0, 0.5],
    [1.959964, 0.975],
    [-1.959964, 0.025],
    [3, 0.99865],
  ])('normalCdf(%f) ≈ %f', (z, want) => {
    expect(normalCdf(z)).toBeCloseTo(want, 4);
  });

  test('U statistic of a hand-computed case', () => {
    // a ranks 1,2,3 among 6 values: R1 = 6, U = 6 - 6 = 0.
    expect(mannWhitney([1, 2, 3], [4, 5, 6]).u).toBe(0);
    expect(mannWhitney([4, 5, 6], [1, 2, 3]).u).toBe(9);
  });

  test('clearly separated samples are significant, with the right change', () => {
    const a = [100, 101, 99, 100, 102, 98, 100, 101];
    const b = a.map((v) => v * 1.2);
    const c = compareSamples(a, b);
    expect(c.significant).toBe(true);
    expect(c.p).toBeLessThan(0.01);
    expect(c.change).toBeCloseTo(0.2, 6);
  });

  test('overlapping noise is not significant', () => {
    const a = [100, 110, 90, 105, 95, 102, 98];
    const b = [101, 108, 92, 104, 97, 99, 103];
    const c = compareSamples(a, b);
    expect(c.significant).toBe(false);
    expect(Math.abs(c.change)).toBeLessThan(0.05);
  });

  test('identical samples: p = 1', () => {
    expect(compareSamples([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });

  test('too few samples never count as significant', () => {
    const c = compareSamples([1, 2], [10, 20]);
    expect(c.significant).toBe(false);
    expect(c.note).toMatch(/fewer than 3/);
  });
});
