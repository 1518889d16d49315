/** CPU reference for shaders/matmul/{tiled,vec4}.wgsl: float64 dot products on the same f32 operands. */
import { hashValue, sampleIndices } from '../../core/numeric';

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
}

/** Operand generators: A[i,k] and B[k,j] as fill_hash writes them (row-major). */
export function matmulOperands(shape: MatmulShape, seedA: number, seedB: number) {
  return {
    a: (i: number, k: number) => hashValue(seedA, i * shape.K + k),
    b: (k: number, j: number) => hashValue(seedB, k * shape.N + j),
  };
}

/** Full reference C = A * B in float64 (small shapes only: O(M*N*K)). */
export function matmulRef(shape: MatmulShape, A: Float32Array, B: Float32Array): Float64Array {
  const { M, N, K } = shape;
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const a = A[i * K + k] as number;
      const row = k * N;
      const out = i * N;
      for (let j = 0; j < N; j++) C[out + j]! += a * (B[row + j] as number);
    }
  }
  return C;
}

/**
 * Output indices (row-major, ascending) a large matmul is checked on: `count` random ones plus a comb
 * along the last row and the last column, where edge-tile bugs live.
 */
export function matmulSamplePicks(M: number, N: number, count: number, seed: number): number[] {
  const set = new Set(sampleIndices(M * N, count, seed));
  for (let j = 0; j < N; j += Math.max(1, Math.floor(N / 64))) set.add((M - 1) * N + j);
  for (let i = 0; i < M; i += Math.max(1, Math.floor(M / 64))) set.add(i * N + N - 1);
  return [...set].sort((x, y) => x - y);
}
