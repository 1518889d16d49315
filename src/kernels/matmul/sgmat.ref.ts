/**
 * CPU reference for shaders/matmul/subgroup_matrix.wgsl: float64 dot products on the f16 operands that
 * shaders/fill_f16.wgsl generates, and the tolerance the check allows.
 */
import type { MatmulShape } from './matmul.ref';
import { mix32 } from '../../core/numeric';

/**
 * The value fill_hash_f16 writes at index i: 11 bits of the same hash as hashValue, (h >> 21) / 1024 - 1,
 * a multiple of 2^-10 in [-1, 1). f16 holds every such value exactly (f16round is the identity on them),
 * so these are already the "f16-rounded inputs" and the GPU's bits match the CPU's without depending on
 * any rounding mode.
 */
export function hashValueF16(seed: number, i: number): number {
  const h = mix32((i ^ mix32((seed + 0x9e3779b9) >>> 0)) >>> 0);
  return (h >>> 21) / 1024 - 1;
}

/** Operand generators: A[i,k] and B[k,j] as fill_hash_f16 writes them (row-major). */
export function sgmatOperands(shape: MatmulShape, seedA: number, seedB: number) {
  return {
    a: (i: number, k: number) => hashValueF16(seedA, i * shape.K + k),
    b: (k: number, j: number) => hashValueF16(seedB, k * shape.N + j),
  };
}

/**
 * Relative L2 error allowed with f32 accumulation. Products of two f16 operands with 11 significant
 * bits are exact in f32, so all the error is in the f32 sums. Matrix units need not round to nearest:
 * NVIDIA's tensor cores align each block of products to the largest term and truncate, so the error can
 * drift one way. A generous bound, K/16 blocks each off by a few f32 ulps (2^-23) of the running sum, is
 * about 2e-4 at K = 8192; observed errors are far smaller. 1e-3 stays well below what real bugs cost:
 * dropping one of K = 8192 products from every sum already gives sqrt(1/8192) ~ 1.1e-2, a stale or
 * misplaced fragment an error of order 1.
 */
export const SGMAT_F32_ACC_THRESHOLD = 1e-3;

/**
 * Relative L2 error allowed for an accumulation type. f16 accumulation rounds every partial sum to
 * 11 bits (u = 2^-11); the running sum of random-signed products grows like sqrt(k), so the rounding
 * errors add up like a random walk to about u·sqrt(K/6) of the result (1.8e-2 at K = 8192; sequential
 * f16 rounding simulated on the CPU gives 1.45e-2, test/unit/matmul-sgmat.test.ts). The bound is 2.5
 * times that (4.5e-2 at K = 8192), never below 2e-3: a skipped 32-wide K slice (sqrt(32/K) = 6.25e-2 at
 * K = 8192, plus the rounding) fails, which the former 2^-10·sqrt(K) (8.8e-2) let pass. Above K ≈ 11,000
 * a dropped slice would hide in the rounding: the suites stop at 8192, and an f32-accumulating
 * configuration is preferred wherever the adapter offers one.
 */
export function sgmatThreshold(accumulate: 'f32' | 'f16', K: number): number {
  return accumulate === 'f32' ? SGMAT_F32_ACC_THRESHOLD : Math.max(2e-3, 2.5 * 2 ** -11 * Math.sqrt(K / 6));
}
