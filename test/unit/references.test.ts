import { describe, expect, test } from 'vitest';
import { matmulOperands, matmulRef } from '../../src/kernels/matmul/matmul.ref';
import { hashValue, relativeL2 } from '../../src/core/numeric';
import { fmaCoeffs, fmaFlopsPerThread, fmaThreadRef, readPartialsRef } from '../../src/kernels/probes/probes.ref';

describe('relativeL2', () => {
  test.each<{ name: string; got: number[]; ref: number[]; expected: number }>([
    { name: 'identical arrays → 0', got: [1, -2, 3.5], ref: [1, -2, 3.5], expected: 0 },
    // num = 0^2 + 0^2 + 1^2 = 1; den = 3^2 + 4^2 + 0^2 = 25 → sqrt(1/25).
    { name: 'one unit off against a norm of 5 → 0.2', got: [3, 4, 1], ref: [3, 4, 0], expected: 0.2 },
    // num = 1 + 1 = 2; den = 1 + 1 = 2 → 1.
    { name: 'sign-flipped → 2 relative', got: [-1, -1], ref: [1, 1], expected: 2 },
    { name: 'all zero got → 1', got: [0, 0, 0], ref: [2, -3, 6], expected: 1 },
    { name: 'zero reference falls back to the absolute L2', got: [3, 4], ref: [0, 0], expected: 5 },
    { name: 'empty arrays → 0', got: [], ref: [], expected: 0 },
  ])('$name', ({ got, ref, expected }) => {
    expect(relativeL2(got, ref)).toBeCloseTo(expected, 12);
  });

  test.each([
    { name: 'NaN', bad: Number.NaN },
    { name: 'Infinity', bad: Infinity },
    { name: '-Infinity', bad: -Infinity },
  ])('a $name output → Infinity', ({ bad }) => {
    expect(relativeL2([1, bad, 3], [1, 2, 3])).toBe(Infinity);
  });

  test('accepts typed arrays', () => {
    expect(relativeL2(new Float32Array([1, 2]), new Float64Array([1, 2]))).toBe(0);
  });
});

describe('matmulRef', () => {
  test('2x3 times 3x2 by hand', () => {
    // [1 2 3]   [ 7  8]   [ 58  64]
    // [4 5 6] x [ 9 10] = [139 154]
    //           [11 12]
    const A = new Float32Array([1, 2, 3, 4, 5, 6]);
    const B = new Float32Array([7, 8, 9, 10, 11, 12]);
    expect([...matmulRef({ M: 2, N: 2, K: 3 }, A, B)]).toEqual([58, 64, 139, 154]);
  });

  test('3x1 times 1x2 is an outer product', () => {
    const C = matmulRef({ M: 3, N: 2, K: 1 }, new Float32Array([1, -2, 0.5]), new Float32Array([4, -8]));
    expect([...C]).toEqual([4, -8, -8, 16, 2, -4]);
  });

  test('identity leaves the other operand unchanged', () => {
    const I = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const B = new Float32Array([0.25, -1.5, 3, 7, 0.125, -2, 9, 10, -11]);
    expect([...matmulRef({ M: 3, N: 3, K: 3 }, I, B)]).toEqual([...B]);
  });

  test('agrees with a naive dot product on hashed operands of odd size', () => {
    const shape = { M: 5, N: 7, K: 3 };
    const ops = matmulOperands(shape, 1, 2);
    const A = Float32Array.from({ length: shape.M * shape.K }, (_, x) => ops.a(Math.floor(x / shape.K), x % shape.K));
    const B = Float32Array.from({ length: shape.K * shape.N }, (_, x) => ops.b(Math.floor(x / shape.N), x % shape.N));
    const C = matmulRef(shape, A, B);
    for (let i = 0; i < shape.M; i++) {
      for (let j = 0; j < shape.N; j++) {
        let dot = 0;
        for (let k = 0; k < shape.K; k++) dot += ops.a(i, k) * ops.b(k, j);
        expect(C[i * shape.N + j]).toBeCloseTo(dot, 12);
      }
    }
  });
});

describe('matmulOperands', () => {
  test('index row-major into the hashed fill', () => {
    const ops = matmulOperands({ M: 4, N: 6, K: 5 }, 10, 20);
    expect(ops.a(2, 3)).toBe(hashValue(10, 2 * 5 + 3));
    expect(ops.b(4, 1)).toBe(hashValue(20, 4 * 6 + 1));
  });
});

describe('readPartialsRef', () => {
  test.each([
    { vecCount: 1, threads: 1 },
    { vecCount: 10, threads: 3 },
    { vecCount: 7, threads: 7 },
    { vecCount: 5, threads: 8 },
  ])('$vecCount vec4s over $threads threads match a direct sum', ({ vecCount, threads }) => {
    const seed = 31;
    const { sum, abs } = readPartialsRef(seed, vecCount, threads);
    expect(sum).toHaveLength(threads);
    expect(abs).toHaveLength(threads);
    for (let t = 0; t < threads; t++) {
      let s = 0;
      let a = 0;
      for (let v = t; v < vecCount; v += threads) {
        for (let c = 0; c < 4; c++) {
          const x = hashValue(seed, 4 * v + c);
          s += x;
          a += Math.abs(x);
        }
      }
      expect(sum[t]).toBeCloseTo(s, 12);
      expect(abs[t]).toBeCloseTo(a, 12);
    }
  });

  test('threads without any element sum to 0', () => {
    const { sum, abs } = readPartialsRef(1, 2, 4);
    expect([sum[2], sum[3], abs[2], abs[3]]).toEqual([0, 0, 0, 0]);
  });
});

describe('fmaThreadRef', () => {
  // Starts and chain offsets (k / 8) all exact in f16, so every rounding is exact.
  const starts = [0, 0.5, -1, 0.25];
  const pairwiseSumOfStarts = (s: number) => 8 * s + (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7) * 0.125;

  test.each([
    { precision: 'f32' as const, iterations: 0 },
    { precision: 'f32' as const, iterations: 17 },
    { precision: 'f16' as const, iterations: 5 },
  ])('with b = 0 returns the sum of the eight starts ($precision, $iterations iterations)', ({ precision, iterations }) => {
    const { value, scale } = fmaThreadRef(starts, [0, 0, 0, 0], iterations, precision);
    expect(value).toEqual(starts.map(pairwiseSumOfStarts));
    // Sum of |s + k/8| over the eight chains.
    const expectedScale = starts.map((s) => Array.from({ length: 8 }, (_, k) => Math.abs(s + k * 0.125)).reduce((x, y) => x + y));
    expect(scale).toEqual(expectedScale);
  });

  test('an exact increment adds 8 * iterations * b per lane', () => {
    const b = 2 ** -10;
    const iterations = 12;
    const { value } = fmaThreadRef(starts, [b, b, b, b], iterations, 'f32');
    expect(value).toEqual(starts.map((s) => pairwiseSumOfStarts(s) + 8 * iterations * b));
  });

  test('f16 rounds where f32 does not', () => {
    // 1/3 is not exact in f16: the f16 result is f16-representable, the f32 one differs from it.
    const s = [1 / 3, 1 / 3, 1 / 3, 1 / 3];
    const f16 = fmaThreadRef(s, [0, 0, 0, 0], 1, 'f16').value;
    const f32 = fmaThreadRef(s, [0, 0, 0, 0], 1, 'f32').value;
    expect(f16[0]).not.toBe(f32[0]);
    expect(f32[0]).toBeCloseTo(8 / 3 + 3.5, 5);
  });
});

describe('fmaCoeffs', () => {
  test('starts are hashed values and increments are scaled down', () => {
    const { s, b32 } = fmaCoeffs(3, 2);
    expect(s).toEqual([0, 1, 2, 3].map((c) => hashValue(3, 16 + c)));
    for (const b of b32) expect(Math.abs(b)).toBeLessThanOrEqual(2 ** -10);
  });
});

describe('fmaFlopsPerThread', () => {
  test.each([
    { iterations: 0, flops: 0 },
    { iterations: 1, flops: 64 },
    { iterations: 10, flops: 640 },
    { iterations: 1024, flops: 65_536 },
  ])('$iterations iterations → $flops FLOPs', ({ iterations, flops }) => {
    expect(fmaFlopsPerThread(iterations)).toBe(flops);
  });
});
