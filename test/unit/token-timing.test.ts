import { describe, expect, test } from 'vitest';
import { minSpanNs, spanProblem } from '../../src/run/phases/generation/timing';
import type { TimerInfo } from '../../src/schema/result';

const info = (source: TimerInfo['source'], resolutionNs: number, quantized: boolean): TimerInfo => ({ source, resolutionNs, quantized, roundTripNs: 1e5, notes: '' });

describe('token-test GPU spans follow the kernel timer quantum rule', () => {
  test('a quantised timer needs 20 quanta per span', () => {
    expect(minSpanNs(info('gpu-timestamp', 100_000, true))).toBe(2_000_000);
    expect(spanProblem(info('gpu-timestamp', 100_000, true), [2_000_000, 5_000_000])).toBeNull();
    expect(spanProblem(info('gpu-timestamp', 100_000, true), [2_000_000, 1_900_000])).toMatch(/1 of 2 GPU spans are shorter than 20 timer quanta \(2000000 ns; shortest 1900000 ns\)/);
  });

  test('a 0 ns span is never a figure (it used to become 0 tok/s)', () => {
    expect(spanProblem(info('gpu-timestamp', 1, false), [0, 1000])).toMatch(/1 of 2 GPU spans/);
    expect(spanProblem(info('gpu-timestamp', 100_000, true), [0])).toMatch(/withheld/);
  });

  test('unquantised timestamps accept any positive span', () => {
    expect(spanProblem(info('gpu-timestamp', 1, false), [1, 5])).toBeNull();
  });
});
