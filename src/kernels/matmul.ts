/** Tiled, register-blocked f32 matmul (shaders/matmul_tiled.wgsl) with its CPU check. */
import matmulWgsl from '../../shaders/matmul_tiled.wgsl?raw';
import { type Resources, createBuffer, createUniform, readBufferChunks } from '../gpu/buffers';
import { getPipeline } from '../gpu/wgsl';
import type { Verification } from '../result/schema';
import { fillConst, fillHash } from './fill';
import { type MatmulShape, matmulOperands, matmulRef, relativeL2 } from './matmul.ref';
import { hashValue, sampleIndices } from './numeric';
import type { BenchKernel } from './types';
import { runOnce } from './types';

/** Relative L2 error allowed against the float64 reference (f32 accumulation over K <= 8192 stays ~1e-5). */
export const MATMUL_REL_L2_THRESHOLD = 1e-4;
/** Above this many multiply-adds the CPU checks a sample of outputs instead of all of them. */
const FULL_CHECK_MACS = 1 << 26;
/** Outputs recomputed on the CPU for large shapes (plus the last row and column, where edge bugs live). */
const SAMPLED_OUTPUTS = 768;

export interface MatmulTile {
  wgX: number;
  wgY: number;
  bk: number;
}

/** Default tile: 16x16 threads, 4x4 outputs each (64x64 tile), K slices of 16. */
export const DEFAULT_TILE: MatmulTile = { wgX: 16, wgY: 16, bk: 16 };

export async function createMatmul(
  device: GPUDevice,
  res: Resources,
  shape: MatmulShape,
  opts: { seed: number; timeoutMs: number; tile?: MatmulTile },
): Promise<BenchKernel> {
  const { M, N, K } = shape;
  const tile = opts.tile ?? DEFAULT_TILE;
  const label = 'matmul_tiled';
  const pipeline = await getPipeline(device, {
    label,
    code: matmulWgsl,
    constants: { WG_X: tile.wgX, WG_Y: tile.wgY, BK: tile.bk },
  });
  const seedA = opts.seed;
  const seedB = opts.seed + 1;
  const A = createBuffer(device, res, `${label}.A`, M * K * 4);
  const B = createBuffer(device, res, `${label}.B`, K * N * 4);
  const C = createBuffer(device, res, `${label}.C`, M * N * 4);
  const uniform = createUniform(device, res, `${label}.dims`, new Uint32Array([M, N, K, 0]).buffer);
  await fillHash(device, res, A, M * K, seedA);
  await fillHash(device, res, B, K * N, seedB);
  const group = device.createBindGroup({
    label: `${label}.bind`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [A, B, C, uniform].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const gx = Math.ceil(N / (tile.wgX * 4));
  const gy = Math.ceil(M / (tile.wgY * 4));
  const work = {
    label,
    encode(pass: GPUComputePassEncoder) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(gx, gy);
    },
  };
  return {
    label,
    params: { M, N, K, tile: `${tile.wgY * 4}x${tile.wgX * 4}x${tile.bk}` },
    work,
    amount: { flops: 2 * M * N * K, bytes: 4 * (M * K + K * N + M * N) },
    async verify(w = work): Promise<Verification> {
      await fillConst(device, res, C, M * N, NaN);
      runOnce(device, w);
      const got = new Float32Array(M * N);
      await readBufferChunks(device, C, M * N * 4, 16 << 20, opts.timeoutMs, (chunk, off) => {
        got.set(new Float32Array(chunk), off / 4);
      });
      let unwritten = 0;
      for (const v of got) if (!Number.isFinite(v)) unwritten++;
      let err: number;
      let checked: number;
      let how: string;
      if (M * N * K <= FULL_CHECK_MACS) {
        const a = new Float32Array(M * K).map((_, i) => hashValue(seedA, i));
        const b = new Float32Array(K * N).map((_, i) => hashValue(seedB, i));
        err = relativeL2(got, matmulRef(shape, a, b));
        checked = M * N;
        how = 'all outputs';
      } else {
        const op = matmulOperands(shape, seedA, seedB);
        const picks = new Set(sampleIndices(M * N, SAMPLED_OUTPUTS, opts.seed));
        for (let j = 0; j < N; j += Math.max(1, Math.floor(N / 64))) picks.add((M - 1) * N + j);
        for (let i = 0; i < M; i += Math.max(1, Math.floor(M / 64))) picks.add(i * N + N - 1);
        const idx = [...picks];
        const ref = idx.map((p) => {
          const i = Math.floor(p / N);
          const j = p % N;
          let s = 0;
          for (let k = 0; k < K; k++) s += op.a(i, k) * op.b(k, j);
          return s;
        });
        err = relativeL2(
          idx.map((p) => got[p] as number),
          ref,
        );
        checked = idx.length;
        how = `${idx.length} sampled outputs (incl. last row/column); every output checked for poison`;
      }
      const ok = unwritten === 0 && err <= MATMUL_REL_L2_THRESHOLD;
      return {
        state: ok ? 'passed' : 'failed',
        method: `relative L2 error vs float64 CPU reference on ${how}`,
        error: Number.isFinite(err) ? err : -1,
        threshold: MATMUL_REL_L2_THRESHOLD,
        checked,
        ...(unwritten ? { detail: `${unwritten} outputs not written (poison NaN survived)` } : {}),
      };
    },
  };
}
