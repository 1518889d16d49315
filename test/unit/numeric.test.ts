import { describe, expect, test } from 'vitest';
import { f16round, hashValue, mix32, sampleIndices } from '../../src/core/numeric';

describe('f16round (IEEE binary16, ties to even)', () => {
  test.each([
    { name: 'one', x: 1, expected: 1 },
    { name: 'largest finite (65504)', x: 65504, expected: 65504 },
    { name: 'just below the overflow midpoint rounds down to 65504', x: 65519.99, expected: 65504 },
    { name: 'the overflow midpoint 65520 ties to Infinity', x: 65520, expected: Infinity },
    { name: 'far above range', x: 1e9, expected: Infinity },
    { name: '1 + 2^-11 ties to even → 1', x: 1 + 2 ** -11, expected: 1 },
    { name: '1 + 3·2^-11 ties to even → 1 + 2^-9', x: 1 + 3 * 2 ** -11, expected: 1 + 2 ** -9 },
    { name: 'just above a tie rounds up', x: 1 + 2 ** -11 + 2 ** -20, expected: 1 + 2 ** -10 },
    { name: '0.1', x: 0.1, expected: 0.0999755859375 },
    { name: 'just below a power of two rounds up to it', x: 2048 - 0.5, expected: 2048 },
    { name: 'integers above 2048 have step 2 (2049 ties to 2048)', x: 2049, expected: 2048 },
    { name: 'smallest normal 2^-14', x: 2 ** -14, expected: 2 ** -14 },
    { name: 'smallest subnormal 2^-24', x: 2 ** -24, expected: 2 ** -24 },
    { name: 'a subnormal multiple of 2^-24', x: 5 * 2 ** -24, expected: 5 * 2 ** -24 },
    { name: '2^-25 ties to even → 0', x: 2 ** -25, expected: 0 },
    { name: '3·2^-25 ties to even → 2^-23', x: 3 * 2 ** -25, expected: 2 ** -23 },
    { name: 'just above 2^-25 rounds up to 2^-24', x: 2 ** -25 * 1.0001, expected: 2 ** -24 },
    { name: 'negative one', x: -1, expected: -1 },
    { name: '-0.1', x: -0.1, expected: -0.0999755859375 },
    { name: '-65520 → -Infinity', x: -65520, expected: -Infinity },
    { name: '-(1 + 3·2^-11)', x: -(1 + 3 * 2 ** -11), expected: -(1 + 2 ** -9) },
    { name: 'Infinity passes through', x: Infinity, expected: Infinity },
    { name: '-Infinity passes through', x: -Infinity, expected: -Infinity },
  ])('$name', ({ x, expected }) => {
    expect(f16round(x)).toBe(expected);
  });

  test('zero and negative zero keep their sign', () => {
    expect(Object.is(f16round(0), 0)).toBe(true);
    expect(Object.is(f16round(-0), -0)).toBe(true);
  });

  test('NaN stays NaN', () => {
    expect(f16round(Number.NaN)).toBeNaN();
  });

  test.each([0.1, 1 / 3, 1234.5678, 3e-6, 60000.7])('is idempotent on %d', (x) => {
    const once = f16round(x);
    expect(f16round(once)).toBe(once);
  });
});

describe('mix32', () => {
  test('returns unsigned 32-bit integers', () => {
    for (const x of [0, 1, 0x7fffffff, 0xffffffff, -1, 123456789]) {
      const h = mix32(x);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});

describe('hashValue', () => {
  const values = (seed: number, n: number) => Array.from({ length: n }, (_, i) => hashValue(seed, i));

  test('values lie in [-1, 1) and are f32', () => {
    for (const v of values(7, 10_000)) {
      expect(v).toBeGreaterThanOrEqual(-1);
      expect(v).toBeLessThan(1);
      expect(Math.fround(v)).toBe(v);
    }
  });

  test('is deterministic', () => {
    expect(values(42, 256)).toEqual(values(42, 256));
  });

  test.each([
    { a: 0, b: 1 },
    { a: 42, b: 43 },
    { a: 1, b: 0xffffffff },
  ])('seeds $a and $b give different sequences', ({ a, b }) => {
    const va = values(a, 256);
    const vb = values(b, 256);
    const same = va.filter((v, i) => v === vb[i]).length;
    // Independent 24-bit values coincide rarely; a handful at most.
    expect(same).toBeLessThan(4);
  });

  test('mean is near 0 over 10000 values', () => {
    const vs = values(1234, 10_000);
    const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
    // Uniform on [-1, 1): sd of the mean is 1 / sqrt(3 * 10000) ≈ 0.0058.
    expect(Math.abs(mean)).toBeLessThan(0.03);
  });

  test('scale multiplies the value (rounded to f32)', () => {
    for (let i = 0; i < 64; i++) {
      expect(hashValue(9, i, 0.5)).toBe(Math.fround(hashValue(9, i) * 0.5));
    }
  });

  test('the values are not all zero or constant', () => {
    const vs = values(5, 100);
    expect(new Set(vs).size).toBeGreaterThan(90);
  });
});

describe('sampleIndices', () => {
  test.each([
    { n: 10, count: 5, seed: 1 },
    { n: 1000, count: 64, seed: 42 },
    { n: 1 << 20, count: 1024, seed: 7 },
    { n: 3, count: 2, seed: 0 },
    { n: 100, count: 99, seed: 3 },
  ])('n=$n count=$count: distinct, sorted, in range, with both ends', ({ n, count, seed }) => {
    const idx = sampleIndices(n, count, seed);
    expect(idx).toHaveLength(count);
    expect(new Set(idx).size).toBe(count);
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1] as number);
    for (const i of idx) {
      expect(Number.isInteger(i)).toBe(true);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(n);
    }
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(n - 1);
  });

  test.each([
    { n: 5, count: 5 },
    { n: 5, count: 100 },
    { n: 0, count: 3 },
    { n: 1, count: 1 },
  ])('returns every index when count ($count) >= n ($n)', ({ n, count }) => {
    expect(sampleIndices(n, count, 99)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  test('is deterministic for a seed', () => {
    expect(sampleIndices(100_000, 50, 11)).toEqual(sampleIndices(100_000, 50, 11));
  });

  test('different seeds pick different indices', () => {
    expect(sampleIndices(100_000, 50, 11)).not.toEqual(sampleIndices(100_000, 50, 12));
  });
});
