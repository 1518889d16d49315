import { describe, expect, test } from 'vitest';
import { QUANTIZED_THRESHOLD_NS, detectQuantum, detectQuantumMs, observeClock } from '../../src/measure/resolution';

/** Deterministic pseudo-random integers (LCG) so the "random" case is reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('detectQuantum (integer ns)', () => {
  test.each([
    {
      name: "Chrome's 100 µs rounding",
      values: [1_000_000_000n, 1_000_100_000n, 1_000_300_000n, 1_001_000_000n],
      quantumNs: 100_000,
      minStepNs: 100_000,
      quantized: true,
    },
    {
      name: '100 µs rounding with repeats and unsorted input',
      values: [500_000n, 200_000n, 500_000n, 900_000n, 200_000n],
      quantumNs: 100_000,
      minStepNs: 300_000,
      quantized: true,
    },
    {
      name: '1 ns steps',
      values: [10n, 11n, 12n, 13n, 15n],
      quantumNs: 1,
      minStepNs: 1,
      quantized: false,
    },
    {
      name: 'exactly the threshold counts as quantized',
      values: [0n, BigInt(QUANTIZED_THRESHOLD_NS), BigInt(3 * QUANTIZED_THRESHOLD_NS)],
      quantumNs: QUANTIZED_THRESHOLD_NS,
      minStepNs: QUANTIZED_THRESHOLD_NS,
      quantized: true,
    },
    {
      name: 'a common step just under the threshold is not quantized',
      values: [0n, 999n, 2997n],
      quantumNs: 999,
      minStepNs: 999,
      quantized: false,
    },
  ])('$name', ({ values, quantumNs, minStepNs, quantized }) => {
    expect(detectQuantum(values)).toEqual({ quantumNs, minStepNs, quantized });
  });

  test('random nanosecond timestamps are not quantized', () => {
    const next = lcg(12345);
    const values = Array.from({ length: 64 }, () => 1_700_000_000_000n + BigInt(next() % 1_000_000));
    const r = detectQuantum(values);
    expect(r.quantized).toBe(false);
    expect(r.quantumNs).toBeLessThan(QUANTIZED_THRESHOLD_NS);
    expect(r.quantumNs).toBeGreaterThan(0);
  });

  test.each([
    { name: 'no values', values: [] as bigint[] },
    { name: 'one value', values: [42n] },
    { name: 'one value repeated', values: [100_000n, 100_000n, 100_000n] },
  ])('$name gives quantum 0', ({ values }) => {
    expect(detectQuantum(values)).toEqual({ quantumNs: 0, minStepNs: 0, quantized: false });
  });
});

describe('detectQuantumMs (float milliseconds)', () => {
  test.each([
    {
      name: '0.1 ms steps with float noise',
      valuesMs: [0.1, 0.2, 0.30000000000000004, 0.4, 0.7],
      quantumNs: 100_000,
      minStepNs: 100_000,
      quantized: true,
    },
    {
      name: "Chrome's 100 µs rounding far from zero",
      valuesMs: [123_456.7, 123_456.8, 123_457.1, 123_458.0],
      quantumNs: 100_000,
      minStepNs: 100_000,
      quantized: true,
    },
    {
      name: '5 µs steps',
      valuesMs: [1.005, 1.01, 1.015, 1.03],
      quantumNs: 5_000,
      minStepNs: 5_000,
      quantized: true,
    },
    {
      name: 'nanosecond readings',
      valuesMs: [10.000001, 10.000002, 10.000004, 10.000007],
      quantumNs: 1,
      minStepNs: 1,
      quantized: false,
    },
  ])('$name', ({ valuesMs, quantumNs, minStepNs, quantized }) => {
    expect(detectQuantumMs(valuesMs)).toEqual({ quantumNs, minStepNs, quantized });
  });

  test('a single distinct reading gives quantum 0', () => {
    expect(detectQuantumMs([3.5, 3.5])).toEqual({ quantumNs: 0, minStepNs: 0, quantized: false });
  });
});

describe('observeClock', () => {
  /** A fake performance.now() advancing by `stepMs` per call, computed from the call count (no drift). */
  function steppingClock(stepMs: number, startMs = 1000): { now: () => number; calls: () => number } {
    let n = 0;
    return { now: () => startMs + n++ * stepMs, calls: () => n };
  }

  test('a clock stepping by 0.005 ms reports 5000 ns', () => {
    const clock = steppingClock(0.005);
    expect(observeClock(clock.now)).toEqual({ quantumNs: 5000, minStepNs: 5000, quantized: true });
    // 64 distinct values by default: one start reading plus 63 more.
    expect(clock.calls()).toBe(64);
  });

  test('a clock that repeats each value before stepping by 100 µs reports 100000 ns', () => {
    let n = 0;
    const now = () => 50 + Math.floor(n++ / 7) * 0.1;
    expect(observeClock(now, 16)).toEqual({ quantumNs: 100_000, minStepNs: 100_000, quantized: true });
  });

  test('stops at the time budget before seeing enough distinct values', () => {
    // 1 ms steps with a 5 ms budget: stops once more than 5 ms have passed.
    const clock = steppingClock(1, 0);
    const r = observeClock(clock.now, 1000, 5);
    expect(r.quantumNs).toBe(1_000_000);
    expect(clock.calls()).toBe(7);
  });
});
