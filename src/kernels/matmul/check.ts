/**
 * The check of a GEMM's output C against float64 dot products on the operands the GPU holds, shared by
 * the f32 matmul and the f16 subgroup-matrix GEMM: all outputs for small shapes; for large ones a sample
 * (plus a comb along the last row and column) while every output is still checked for poison. C is
 * streamed in chunks, so host memory stays bounded whatever the shape.
 */
import { type Resources, readBufferChunks } from '../../gpu/buffers';
import { fillConst } from '../../core/fill';
import { f16FromBits, relativeL2 } from '../../core/numeric';
import type { Check } from '../../core/verify';
import { type MatmulShape, matmulRef, matmulSamplePicks } from './matmul.ref';

/** Above this many multiply-adds the CPU checks a sample of outputs instead of all of them. */
export const FULL_CHECK_MACS = 1 << 26;
/** Outputs recomputed on the CPU for large shapes (plus the last row and column, where edge bugs live). */
export const SAMPLED_OUTPUTS = 768;

export interface GemmCheckSpec {
  shape: MatmulShape;
  /** The output, row-major [M, N]. */
  C: GPUBuffer;
  /** Element type of C: f32, or f16 (two per word). */
  out: 'f32' | 'f16';
  /** The f32 value C is filled with before a run (for f16 outputs, a word of two f16 NaNs). */
  poisonWord: number;
  /** A[i,k] and B[k,j] as the GPU holds them (exact in f32, so float64 products of them are exact). */
  operands: { a(i: number, k: number): number; b(k: number, j: number): number };
  threshold: number;
  /** The method string for `how` outputs were compared ("all outputs" or the sampling). */
  method(how: string): string;
  /** Sampled outputs are drawn with this seed. */
  seed: number;
  timeoutMs: number;
  /** Above this many multiply-adds the check samples outputs (default FULL_CHECK_MACS). */
  fullCheckMacs?: number;
}

/** A relative L2 check of C (see the module comment). */
export function gemmCheck(device: GPUDevice, res: Resources, spec: GemmCheckSpec): Check {
  const { M, N, K } = spec.shape;
  const outBytes = spec.out === 'f32' ? 4 : 2;
  const full = M * N * K <= (spec.fullCheckMacs ?? FULL_CHECK_MACS);
  const picks = full ? [] : matmulSamplePicks(M, N, SAMPLED_OUTPUTS, spec.seed);
  const how = full ? 'all outputs' : `${picks.length} sampled outputs (incl. last row/column); every output checked for poison`;
  return {
    method: spec.method(how),
    threshold: spec.threshold,
    poison: () => fillConst(device, res, spec.C, (M * N * outBytes) / 4, spec.poisonWord),
    async compare() {
      const got = full ? new Float32Array(M * N) : null;
      const picked: number[] = [];
      let unwritten = 0;
      await readBufferChunks(device, spec.C, M * N * outBytes, 16 << 20, spec.timeoutMs, (chunk, off) => {
        const first = off / outBytes;
        const values = spec.out === 'f32' ? new Float32Array(chunk) : Float32Array.from(new Uint16Array(chunk), f16FromBits);
        for (const v of values) if (!Number.isFinite(v)) unwritten++;
        if (got) got.set(values, first);
        while (picked.length < picks.length && (picks[picked.length] as number) < first + values.length) {
          picked.push(values[(picks[picked.length] as number) - first] as number);
        }
      });
      const { a, b } = spec.operands;
      if (got) {
        const A = Float32Array.from({ length: M * K }, (_, i) => a(Math.floor(i / K), i % K));
        const B = Float32Array.from({ length: K * N }, (_, i) => b(Math.floor(i / N), i % N));
        return { error: relativeL2(got, matmulRef(spec.shape, A, B)), checked: M * N, unwritten };
      }
      const ref = picks.map((p) => {
        const i = Math.floor(p / N);
        const j = p % N;
        let s = 0;
        for (let k = 0; k < K; k++) s += a(i, k) * b(k, j);
        return s;
      });
      return { error: relativeL2(picked, ref), checked: picks.length, unwritten };
    },
  };
}
