/**
 * RoPE and the KV-cache append: ropeKv (shaders/transformer/rope_kv.wgsl) does both over a fused QKV
 * projection in one dispatch, as the model runs it; rope and kvWrite are its halves, kept as building
 * blocks for tests (chunked prefill, chained decode steps). The cache writers take the cache's element
 * type (kvType, default f32): shaders/kv/store_{f32,f16}.wgsl fill their `{{kv}}` key.
 */
import kvWriteWgsl from '../../../shaders/transformer/kv_write.wgsl?raw';
import ropeWgsl from '../../../shaders/transformer/rope.wgsl?raw';
import ropeKvWgsl from '../../../shaders/transformer/rope_kv.wgsl?raw';
import ropeKvCommonWgsl from '../../../shaders/transformer/rope_kv_common.wgsl?raw';
import ropeKvNormWgsl from '../../../shaders/transformer/rope_kv_norm.wgsl?raw';
import kvStoreF16Wgsl from '../../../shaders/kv/store_f16.wgsl?raw';
import kvStoreF32Wgsl from '../../../shaders/kv/store_f32.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import { type KvType, assertKvHeadDim } from '../../core/kv';
import { type BufferArg, type Kernel, bindBuffers, dispatchWork } from '../../core/work';
import { ELEMENTWISE_WG, type PosStep, assertRows, grid, u32Words } from './shared';
import { ropeInvFreq } from './transformer.ref';

/** Largest rotated head: the rope uniform holds headDim / 2 <= 256 frequencies. */
const MAX_ROPE_HEAD_DIM = 512;

function assertHeadDim(label: string, headDim: number): void {
  if (headDim % 2 !== 0 || headDim > MAX_ROPE_HEAD_DIM) {
    throw new Error(`${label}: headDim ${headDim} must be even and <= ${MAX_ROPE_HEAD_DIM}`);
  }
}

/** The cache writes of each KV-cache type, inserted as a writer's `{{kv}}` key. */
const KV_STORE_CODE: Readonly<Record<KvType, string>> = { f32: kvStoreF32Wgsl, f16: kvStoreF16Wgsl };

export interface RopeConfig {
  heads: number;
  headDim: number;
  theta: number;
}

export interface RopeArgs {
  /** f32 [rows, heads * headDim], rotated in place. */
  x: BufferArg;
  state: BufferArg;
  rows: number;
  posStep: PosStep;
}

/** Rotate-half RoPE in place at position state[0] + t * posStep; one thread per rotated pair. */
export async function createRope(device: GPUDevice, cfg: RopeConfig): Promise<Kernel<RopeArgs>> {
  const label = 'rope';
  const { heads, headDim, theta } = cfg;
  assertHeadDim(label, headDim);
  const pipeline = await getPipeline(device, { label, code: ropeWgsl, constants: { WG: ELEMENTWISE_WG } });
  const invFreq = ropeInvFreq(headDim, theta);
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const words = new ArrayBuffer(16 + (MAX_ROPE_HEAD_DIM / 2) * 4);
      new Uint32Array(words, 0, 4).set([args.rows, heads, headDim, args.posStep]);
      new Float32Array(words, 16, invFreq.length).set(invFreq);
      const params = createUniform(device, res, `${label}.params`, words);
      const group = bindBuffers(device, pipeline, label, [args.x, args.state, params]);
      return dispatchWork(label, pipeline, [{ group, grid: grid(device, (args.rows * heads * headDim) / 2, ELEMENTWISE_WG) }]);
    },
  };
}

export interface KvWriteConfig {
  kvHeads: number;
  headDim: number;
  /** Positions per sequence in the cache. */
  ctxCap: number;
  /** The caches' element type (default f32). */
  kvType?: KvType;
}

export interface KvWriteArgs {
  /** f32 [rows, kvHeads * headDim] (after RoPE for k). */
  k: BufferArg;
  v: BufferArg;
  /** [seqCap][kvHeads][ctxCap][headDim] in the config's kvType, one pair per layer. */
  kCache: BufferArg;
  vCache: BufferArg;
  state: BufferArg;
  rows: number;
  posStep: PosStep;
}

/**
 * cache[seq(t)][h][pos(t)][:] = row t of head h, for K and V; rows past ctxCap are dropped. One thread per
 * two elements of a cache row (an f16 cache's word), so headDim must be even.
 */
export async function createKvWrite(device: GPUDevice, cfg: KvWriteConfig): Promise<Kernel<KvWriteArgs>> {
  const label = 'kv_write';
  const kvType = cfg.kvType ?? 'f32';
  if (!(Number.isInteger(cfg.headDim) && cfg.headDim > 0 && cfg.headDim % 2 === 0)) {
    throw new Error(`${label}: headDim ${cfg.headDim} must be a positive even integer (each thread writes two elements of a cache row)`);
  }
  const code = fillTemplate(kvWriteWgsl, { kv: KV_STORE_CODE[kvType] });
  const pipeline = await getPipeline(device, { label, code, constants: { WG: ELEMENTWISE_WG } });
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const params = createUniform(device, res, `${label}.params`, u32Words(args.rows, cfg.kvHeads, cfg.headDim, cfg.ctxCap, args.posStep, 0, 0, 0));
      const group = bindBuffers(device, pipeline, label, [args.k, args.v, args.kCache, args.vCache, args.state, params]);
      return dispatchWork(label, pipeline, [{ group, grid: grid(device, (args.rows * cfg.kvHeads * cfg.headDim) / 2, ELEMENTWISE_WG) }]);
    },
  };
}

export interface RopeKvConfig {
  heads: number;
  kvHeads: number;
  headDim: number;
  theta: number;
  /** Positions per sequence in the cache. */
  ctxCap: number;
  /**
   * The headDim / 2 inverse frequencies (f32) of the rotated pairs, when they are not theta^(-2i/headDim):
   * a model's RoPE scaling and frequency factors folded in (theta is then unused).
   */
  invFreq?: Float32Array;
  /** qwen3: RMSNorm over each q and k head (eps) before RoPE, weights bound as `qkNorm` (rope_kv_norm.wgsl). */
  qkNorm?: { eps: number };
  /** The caches' element type (default f32); f16 is packed two per u32 and needs no shader-f16. */
  kvType?: KvType;
}

export interface RopeKvArgs {
  /** f32 [rows, (heads + 2 * kvHeads) * headDim]: q, k, v heads of each row (the fused QKV projection). */
  qkv: BufferArg;
  /** f32 [rows, heads * headDim], written: rotated q. */
  q: BufferArg;
  /** [seqCap][kvHeads][ctxCap][headDim] in the config's kvType, one pair per layer: rotated k and v appended. */
  kCache: BufferArg;
  vCache: BufferArg;
  state: BufferArg;
  rows: number;
  posStep: PosStep;
  /** With cfg.qkNorm: f32 [2 * headDim], the q heads' norm weights then the k heads'. */
  qkNorm?: BufferArg;
}

/** The rope uniform's frequencies: cfg.invFreq, checked, or theta^(-2i/headDim). */
function invFreqOf(label: string, cfg: { headDim: number; theta: number; invFreq?: Float32Array }): Float32Array {
  if (!cfg.invFreq) return ropeInvFreq(cfg.headDim, cfg.theta);
  if (cfg.invFreq.length !== cfg.headDim / 2 || !cfg.invFreq.every((f) => Number.isFinite(f) && f >= 0)) {
    throw new Error(`${label}: invFreq must hold ${cfg.headDim / 2} finite non-negative values, got ${cfg.invFreq.length}`);
  }
  return cfg.invFreq;
}

/** Threads per workgroup of rope_kv_norm (one workgroup per head; a power of two). */
const NORM_WG = 64;

/**
 * rope + kvWrite in one dispatch: q heads of qkv are rotated into q; k heads rotated and v heads copied
 * into cache[seq(t)][h][pos(t)][:] (rows past ctxCap dropped; rounded to f16 in an f16 cache). One thread per rotated q/k pair; with
 * cfg.qkNorm (label rope_kv_norm), one workgroup per q/k head, which RMS-normalises the head first.
 */
export async function createRopeKv(device: GPUDevice, cfg: RopeKvConfig): Promise<Kernel<RopeKvArgs>> {
  const label = cfg.qkNorm ? 'rope_kv_norm' : 'rope_kv';
  const { heads, kvHeads, headDim, ctxCap } = cfg;
  const kvType = cfg.kvType ?? 'f32';
  assertHeadDim(label, headDim);
  assertKvHeadDim(label, headDim, kvType);
  if (!(Number.isInteger(heads) && heads > 0 && Number.isInteger(kvHeads) && kvHeads > 0)) {
    throw new Error(`${label}: heads ${heads} and kvHeads ${kvHeads} must be positive integers`);
  }
  if (!(Number.isInteger(ctxCap) && ctxCap > 0)) throw new Error(`${label}: ctxCap ${ctxCap} must be a positive integer`);
  const norm = cfg.qkNorm;
  if (norm && !(norm.eps > 0)) throw new Error(`${label}: eps ${norm.eps} must be positive`);
  const wg = norm ? NORM_WG : ELEMENTWISE_WG;
  const code = fillTemplate(ropeKvCommonWgsl + (norm ? ropeKvNormWgsl : ropeKvWgsl), { kv: KV_STORE_CODE[kvType] });
  const pipeline = await getPipeline(device, { label, code, constants: { WG: wg } });
  const invFreq = invFreqOf(label, cfg);
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      if (!norm !== !args.qkNorm) throw new Error(`${label}: the qkNorm weights are bound exactly when the config has qkNorm`);
      const words = new ArrayBuffer(32 + (MAX_ROPE_HEAD_DIM / 2) * 4);
      new Uint32Array(words, 0, 8).set([args.rows, heads, kvHeads, headDim, ctxCap, args.posStep, 0, 0]);
      if (norm) new Float32Array(words, 24, 1)[0] = norm.eps;
      new Float32Array(words, 32, invFreq.length).set(invFreq);
      const params = createUniform(device, res, `${label}.params`, words);
      const buffers = [args.qkv, args.q, args.kCache, args.vCache, args.state, params, ...(args.qkNorm ? [args.qkNorm] : [])];
      const group = bindBuffers(device, pipeline, label, buffers);
      // Norm: one workgroup per (row, q or k head); otherwise one thread per rotated pair.
      const threads = norm ? args.rows * (heads + kvHeads) * wg : (args.rows * (heads + kvHeads) * headDim) / 2;
      return dispatchWork(label, pipeline, [{ group, grid: grid(device, threads, wg) }]);
    },
  };
}
