import { describe, expect, test } from 'vitest';
import { compareSamples, mannWhitney, normalCdf, rankSumExactP, smallestP } from '../../src/measure/stats';

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
    expect(c.note).toMatch(/cannot reach p < 0.05/);
  });

  test.each([
    [3, 3, 0.1],
    [3, 4, 2 / 35],
    [4, 4, 2 / 70],
    [2, 10, 2 / 66],
    [1, 1, 1],
  ])('the smallest achievable p with %i vs %i samples is %f', (n1, n2, p) => {
    expect(smallestP(n1, n2)).toBeCloseTo(p, 12);
    // Perfectly separated samples reach it exactly.
    const a = Array.from({ length: n1 }, (_, i) => i);
    const b = Array.from({ length: n2 }, (_, i) => 100 + i);
    expect(rankSumExactP(a, b)).toBeCloseTo(p, 12);
  });

  test('3 vs 3 samples are inconclusive even when every new sample is slower (the normal approximation gave p ≈ 0.081)', () => {
    const c = compareSamples([10, 11, 12], [20, 21, 22]);
    expect(c.significant).toBe(false);
    expect(c.note).toMatch(/3 vs 3 samples cannot reach p < 0.05/);
    // 4 vs 4 can: the same separation is significant.
    expect(compareSamples([10, 11, 12, 13], [20, 21, 22, 23]).significant).toBe(true);
  });

  test('exact p against a hand count: a = {1, 3}, b = {2, 4, 5}', () => {
    // Rank sums of the 10 ways to pick 2 of 5 ranks: 3,4,5,5,6,6,7,7,8,9 (mean 6). a has 1 + 3 = 4: |4 - 6| = 2;
    // sums at distance >= 2: 3, 4, 8, 9 -> 4 of 10.
    expect(rankSumExactP([1, 3], [2, 4, 5])).toBeCloseTo(0.4, 12);
  });

  test('ties are ranked at their mean: all-equal samples give p = 1', () => {
    expect(rankSumExactP([5, 5, 5, 5], [5, 5, 5, 5])).toBe(1);
  });

  test('exact and normal approximation agree on larger samples', () => {
    const a = Array.from({ length: 20 }, (_, i) => 100 + ((i * 37) % 11));
    const b = a.map((v, i) => v + 1.5 + ((i * 13) % 5) / 10);
    expect(Math.abs(rankSumExactP(a, b) - mannWhitney(a, b).p)).toBeLessThan(0.02);
  });
});
