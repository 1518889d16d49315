/**
 * Linear layer y = x · Wᵀ (+ bias) (+= into y in residual mode) for every weight format
 * (shaders/linear.wgsl), optionally fused with an RMSNorm prologue (y = rmsnorm(x) · Wᵀ) and a SwiGLU
 * epilogue (interleaved gate/up rows, y = silu(gate) * up), with its run-time check against the float64
 * CPU reference.
 */
import linearWgsl from '../../../shaders/linear/linear.wgsl?raw';
import linearSgmatTemplate from '../../../shaders/linear/sgmat.wgsl?raw';
import linearTiledWgsl from '../../../shaders/linear/tiled.wgsl?raw';
import linearCommonWgsl from '../../../shaders/linear/common.wgsl?raw';
import { Resources, createBuffer, createUniform, readBuffer } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import { allocTensor, colsMultiple, dataBytes } from '../../core/tensor';
import type { Op } from '../../core/work';
import { type QTensor, WEIGHT_FORMATS, type WeightFormat } from '../../core/tensor';
import type { Verification } from '../../schema/result';
import { fillConst, fillHash } from '../../core/fill';
import { linearRef } from './linear.ref';
import { SGMAT_FEATURE, type SgmatAdapterInfo, type SgmatEnv, type SubgroupMatrixConfig, describeConfig, subgroupMatrixConfigs } from '../matmul/sgmat-plan';
import { relativeL2 } from '../matmul/matmul.ref';
import { hashValue, sampleIndices } from '../../core/numeric';
import { runOnce } from '../../core/work';
import { ampLog2For, generateWeights } from '../weights/weights';
import { dequantRows } from '../weights/weights.ref';

/**
 * Token tiles compiled per layer; bind() picks the smallest that holds all rows (up to 8), so a decode
 * step of one token does no work for absent tokens. Must stay within MAX_TT in the shader.
 */
export const TOKEN_TILES = [1, 2, 4, 8] as const;
export type TokenTile = (typeof TOKEN_TILES)[number];

/**
 * One tuning point of shaders/linear.wgsl (the GEMV-style kernel). wg: threads (power of two: the tree
 * halves it); rows: output rows per workgroup (each x load serves this many); vs: consecutive 8-weight
 * steps per thread per iteration (contiguous bytes per thread: 4 vs 16 for q4_0); reduce: tree in
 * workgroup memory or subgroupAdd (needs the `subgroups` feature).
 */
export interface GemvVariant {
  kind?: 'gemv';
  wg: number;
  rows: 1 | 2 | 4;
  vs: 1 | 4;
  reduce: 'tree' | 'subgroup';
}

/**
 * One tuning point of shaders/linear_tiled.wgsl (a tiled GEMM for token tile 8: prefill and large decode
 * batches): wgX x wgY threads, each computing tm tokens x tn rows; K slices of bk weights.
 */
export interface TiledVariant {
  kind: 'tiled';
  wgX: number;
  wgY: number;
  tm: 1 | 2 | 4;
  tn: 2 | 4;
  bk: 8 | 16 | 32;
}

/**
 * One tuning point of shaders/linear_sgmat.wgsl (an f16 GEMM on the matrix units, f32 accumulation, for
 * token tile 8): a bm tokens x bn rows tile per workgroup, sgM x sgN subgroups each owning a
 * (bm / sgM) x (bn / sgN) block of result fragments, K slices of bk. The fragment shape comes from the
 * adapter's subgroupMatrixConfigs (planSgmatLinear), never from here.
 */
export interface SgmatLinearVariant {
  kind: 'sgmat';
  bm: number;
  bn: number;
  sgM: number;
  sgN: number;
  bk: number;
}

export type LinearVariant = GemvVariant | TiledVariant | SgmatLinearVariant;

function isTiled(v: LinearVariant): v is TiledVariant {
  return v.kind === 'tiled';
}

function isSgmat(v: LinearVariant): v is SgmatLinearVariant {
  return v.kind === 'sgmat';
}

/** GEMM-style variants (token tile 8 only): tiled f32 and subgroup-matrix f16. */
function isGemm(v: LinearVariant): v is TiledVariant | SgmatLinearVariant {
  return isTiled(v) || isSgmat(v);
}

/**
 * Stable name of a variant, e.g. "wg64.r2.v1.tree", "tiled.32x64.k32" or "sgmat.f16.64x64.k32.s2x2"
 * (cache keys and results; "f16" records that its operands are rounded to f16).
 */
export function linearVariantId(v: LinearVariant): string {
  if (isTiled(v)) return `tiled.${v.wgY * v.tm}x${v.wgX * v.tn}.k${v.bk}.t${v.tm}x${v.tn}`;
  if (isSgmat(v)) return `sgmat.f16.${v.bm}x${v.bn}.k${v.bk}.s${v.sgM}x${v.sgN}`;
  return `wg${v.wg}.r${v.rows}.v${v.vs}.${v.reduce}`;
}

/** The variant used when nothing is tuned (the one every earlier result used). */
export const DEFAULT_LINEAR_VARIANT: LinearVariant = { wg: 64, rows: 2, vs: 1, reduce: 'tree' };

/**
 * Candidates an autotuner times, default first. Wider workgroups and more rows suit long K and big
 * GPUs; vs 4 gives quantised rows longer contiguous loads per thread; subgroup reductions drop the
 * log2(WG) barrier rounds of the tree (what dominates a short-K GEMV). The tiled GEMMs only run token
 * tile 8, where a weight loaded once serves 32 or 64 tokens instead of 8 (prefill is compute-bound).
 */
export const LINEAR_CANDIDATES: readonly LinearVariant[] = [
  DEFAULT_LINEAR_VARIANT,
  // Second: a run that times only two candidates (smoke) still exercises a subgroup path where it exists
  // (and, at token tile 8, the first tiled GEMM: linearVariants puts those right after the default).
  { wg: 64, rows: 2, vs: 1, reduce: 'subgroup' },
  { wg: 128, rows: 2, vs: 1, reduce: 'tree' },
  { wg: 256, rows: 2, vs: 1, reduce: 'tree' },
  { wg: 128, rows: 4, vs: 1, reduce: 'tree' },
  { wg: 64, rows: 4, vs: 4, reduce: 'tree' },
  { wg: 32, rows: 2, vs: 4, reduce: 'tree' },
  { wg: 128, rows: 4, vs: 1, reduce: 'subgroup' },
  { wg: 256, rows: 2, vs: 4, reduce: 'subgroup' },
  { wg: 32, rows: 4, vs: 4, reduce: 'subgroup' },
  { kind: 'tiled', wgX: 16, wgY: 8, tm: 4, tn: 4, bk: 32 },
  { kind: 'tiled', wgX: 16, wgY: 16, tm: 4, tn: 4, bk: 16 },
  // Matrix units (f16 operands, f32 accumulators): 128 x 128 with 2 x 4 subgroups of 64 x 32 (the
  // matmul_subgroup_matrix tile: ~30 KiB of workgroup memory with 16 x 16 fragments), and 64 x 64 with
  // 2 x 2 subgroups of 32 x 32 for devices with 16 KiB of workgroup memory or few row tiles.
  { kind: 'sgmat', bm: 128, bn: 128, sgM: 2, sgN: 4, bk: 32 },
  { kind: 'sgmat', bm: 64, bn: 64, sgM: 2, sgN: 2, bk: 32 },
];

/**
 * Bytes of workgroup memory a variant declares for a token tile. GEMV tree: WG slots per output;
 * subgroup: WG / 4; tiled: the x and W slices, the norm partial sums and 1/rms per token.
 */
function workgroupBytes(v: GemvVariant | TiledVariant, tt: number, norm: boolean): number {
  if (isTiled(v)) {
    const bm = v.wgY * v.tm;
    const bn = v.wgX * v.tn;
    return 4 * (bm * v.bk + bn * (v.bk + 1) + bm * v.wgX + bm);
  }
  const outputs = (v.rows + (norm ? 1 : 0)) * tt;
  return v.reduce === 'tree' ? 4 * v.wg * outputs : 4 * (v.wg / 4) * outputs + 8;
}

/** Threads per token row summing squares in linear_sgmat.wgsl (NORM_LANES there). */
const SGMAT_NORM_LANES = 4;

/** How an sgmat variant runs on a device: the adapter's fragment shape, subgroup size and fragments per subgroup. */
export interface SgmatLinearPlan {
  config: SubgroupMatrixConfig;
  sgSize: number;
  fm: number;
  fn: number;
}

/** The device, its adapter's subgroup-matrix information (device.adapterInfo in Dawn and Chrome). */
export function sgmatEnvOf(device: GPUDevice): SgmatEnv {
  return { features: device.features, limits: device.limits, info: (device as unknown as { adapterInfo?: SgmatAdapterInfo }).adapterInfo };
}

/**
 * The configuration and layout an sgmat variant uses on `env`, or why it cannot run there (messages a
 * user can act on). Needs the subgroup-matrix feature and shader-f16, an f16 x f16 -> f32 configuration
 * whose fragments tile the variant's per-subgroup block (an f16 accumulator would lose the sums over a
 * real K: such adapters are skipped), a known maximum subgroup size, and the device's limits.
 */
export function planSgmatLinear(env: SgmatEnv, v: SgmatLinearVariant): SgmatLinearPlan | string {
  if (!env.features.has(SGMAT_FEATURE)) {
    return `${SGMAT_FEATURE} not supported by this adapter: the f16 subgroup-matrix linear is skipped (Dawn offers it only with allow_unsafe_apis; on NVIDIA Vulkan also vulkan_enable_f16_on_nvidia)`;
  }
  if (!env.features.has('shader-f16')) return 'shader-f16 not supported by this adapter: the f16 subgroup-matrix linear is skipped';
  if (!(v.bm % v.sgM === 0 && v.bn % v.sgN === 0 && v.bk % 8 === 0)) return `tile ${v.bm}x${v.bn}.k${v.bk} does not split into ${v.sgM}x${v.sgN} subgroups and K steps of 8`;
  const blockM = v.bm / v.sgM;
  const blockN = v.bn / v.sgN;
  const configs = subgroupMatrixConfigs(env.info);
  const fits = (c: SubgroupMatrixConfig) => c.componentType === 'f16' && blockM % c.M === 0 && blockN % c.N === 0 && v.bk % c.K === 0 && c.N % 2 === 0;
  const usable = configs.filter((c) => fits(c) && c.resultComponentType === 'f32');
  usable.sort((a, b) => b.M * b.N * b.K - a.M * a.N * a.K || b.K - a.K);
  const config = usable[0];
  if (!config) {
    const offered = configs.length ? configs.map(describeConfig).join(', ') : 'none';
    const f16Only = configs.some((c) => fits(c) && c.resultComponentType === 'f16');
    return f16Only
      ? `the adapter's subgroup matrices accumulate f16 x f16 only in f16 (offered: ${offered}): too inexact over a layer's K, skipped`
      : `no f16 x f16 -> f32 subgroup-matrix configuration tiles a ${blockM}x${blockN} block with K slices of ${v.bk} (offered: ${offered})`;
  }
  const sgSize = env.info?.subgroupMaxSize;
  if (typeof sgSize !== 'number' || sgSize < 1) return "adapter info reports no subgroupMaxSize, which sizes the kernel's workgroup";
  const lim = env.limits;
  const groups = v.sgM * v.sgN;
  if (sgSize > lim.maxComputeWorkgroupSizeX || groups > lim.maxComputeWorkgroupSizeY || sgSize * groups > lim.maxComputeInvocationsPerWorkgroup) {
    return `workgroup ${sgSize}x${groups} exceeds this device's limits`;
  }
  const bytes = 2 * (v.bm + v.bn) * (v.bk + 8) + 4 * groups * config.M * config.N + 4 * v.bm * (SGMAT_NORM_LANES + 1);
  if (bytes > lim.maxComputeWorkgroupStorageSize) return `${bytes} B of workgroup memory > maxComputeWorkgroupStorageSize ${lim.maxComputeWorkgroupStorageSize}`;
  return { config, sgSize, fm: blockM / config.M, fn: blockN / config.N };
}

/** Template keys every linear kernel shares: common declarations, the format's load_w, bias and norm. */
function layerCode(cfg: Pick<LinearConfig, 'format' | 'bias' | 'norm'>): Record<'common' | 'weights' | 'bias' | 'norm', string> {
  return {
    common: linearCommonWgsl,
    weights: WEIGHT_CODE[cfg.format],
    bias: BIAS_CODE[cfg.bias ? 'with' : 'without'],
    norm: NORM_CODE[cfg.norm ? 'with' : 'without'],
  };
}

/** The WGSL of an sgmat variant for a plan (template filled; SG_SIZE and the modes stay overrides). */
export function linearSgmatWgsl(cfg: Pick<LinearConfig, 'format' | 'bias' | 'norm'>, v: SgmatLinearVariant, plan: SgmatLinearPlan): string {
  return fillTemplate(linearSgmatTemplate, {
    ...layerCode(cfg),
    cm: String(plan.config.M),
    cn: String(plan.config.N),
    ck: String(plan.config.K),
    fm: String(plan.fm),
    fn: String(plan.fn),
    sg_m: String(v.sgM),
    sg_n: String(v.sgN),
    bk: String(v.bk),
  });
}

/**
 * Why `v` cannot run this layer at token tile `tt` on `device` (undefined: it can). Read from the
 * device's limits and features, never assumed: a subgroup size is not needed, only the feature.
 * `sgmatEnv` replaces what sgmat variants are planned from (default sgmatEnvOf(device)).
 */
export function linearVariantProblem(
  device: GPUDevice,
  cfg: Pick<LinearConfig, 'swiglu' | 'norm'>,
  tt: number,
  v: LinearVariant,
  sgmatEnv?: SgmatEnv,
): string | undefined {
  const lim = device.limits;
  if (isSgmat(v)) {
    if (tt !== 8) return 'the subgroup-matrix GEMM runs token tile 8 only (prefill and large batches)';
    const plan = planSgmatLinear(sgmatEnv ?? sgmatEnvOf(device), v);
    return typeof plan === 'string' ? plan : undefined;
  }
  const bytes = workgroupBytes(v, tt, !!cfg.norm);
  const tooMuchMemory = () => bytes > lim.maxComputeWorkgroupStorageSize ? `${bytes} B of workgroup memory > maxComputeWorkgroupStorageSize ${lim.maxComputeWorkgroupStorageSize}` : undefined;
  if (isTiled(v)) {
    if (tt !== 8) return 'the tiled GEMM runs token tile 8 only (prefill and large batches)';
    const threads = v.wgX * v.wgY;
    if (threads > lim.maxComputeInvocationsPerWorkgroup || v.wgX > lim.maxComputeWorkgroupSizeX || v.wgY > lim.maxComputeWorkgroupSizeY) {
      return `workgroup ${v.wgX}x${v.wgY} exceeds this device's limits`;
    }
    if (cfg.swiglu && v.tn % 2 !== 0) return 'the SwiGLU epilogue needs an even row count per thread';
    return tooMuchMemory();
  }
  if (!(Number.isInteger(Math.log2(v.wg)) && v.wg >= 4)) return `workgroup size ${v.wg} is not a power of two >= 4`;
  if (v.wg > lim.maxComputeInvocationsPerWorkgroup || v.wg > lim.maxComputeWorkgroupSizeX) return `workgroup size ${v.wg} exceeds this device's limits`;
  if (cfg.swiglu && v.rows % 2 !== 0) return 'the SwiGLU epilogue needs an even row count per workgroup';
  if (v.rows * tt > v.wg) return `${v.rows * tt} outputs per workgroup need at least as many threads (have ${v.wg})`;
  const memory = tooMuchMemory();
  if (memory) return memory;
  if (v.reduce === 'subgroup' && !device.features.has('subgroups')) return 'subgroup reduction needs the subgroups feature';
  return undefined;
}

/**
 * The candidates that can run this layer at token tile `tt` on `device`, default first when it can; at
 * token tile 8 the GEMMs come next, matrix units first (a run that times few candidates still compares
 * the kinds).
 */
export function linearVariants(device: GPUDevice, cfg: Pick<LinearConfig, 'swiglu' | 'norm'>, tt: number): LinearVariant[] {
  const ok = LINEAR_CANDIDATES.filter((v) => linearVariantProblem(device, cfg, tt, v) === undefined);
  const [first, ...rest] = ok;
  if (!first) return [];
  return [first, ...rest.filter(isSgmat), ...rest.filter(isTiled), ...rest.filter((v) => !isGemm(v))];
}

/** Most tokens one call handles (prefill prompts). */
export const LINEAR_MAX_ROWS = 1024;

/**
 * Relative L2 error allowed against the float64 reference. Weights and x are exact f32 values, so the
 * only error is f32 rounding of products and partial sums (~1e-7 at the checked K); 1e-5 leaves room
 * for FMA contraction and another summation order, while one wrong block, scale or row (>= 1e-2 at the
 * checked sizes) fails clearly.
 */
export const LINEAR_REL_L2_THRESHOLD = 1e-5;

/**
 * Relative L2 error allowed for variants that round x and W (norm weights folded in) to f16 and
 * accumulate in f32 (sgmat). Each rounding is a relative error of at most u = 2^-11 ~ 4.9e-4 (uniform,
 * variance u^2/3), so a product carries about sqrt(2/3) u ~ 4e-4 RMS; with independent signs the sum's
 * error keeps that relative size (~4e-4), SwiGLU at most doubles it (d log silu(g) / d log g <= 1.1, plus
 * up's error). 2e-3 (~4u) leaves a margin of 2.5..5 while a skipped K slice, wrong block or row (>= 1e-1
 * at the checked sizes, test/gpu/linear-sgmat.test.ts) fails clearly.
 */
export const LINEAR_F16_INPUT_THRESHOLD = 2e-3;

/** The check threshold of a variant: f32 variants LINEAR_REL_L2_THRESHOLD, f16-input ones LINEAR_F16_INPUT_THRESHOLD. */
export function linearThreshold(v: LinearVariant): number {
  return isSgmat(v) ? LINEAR_F16_INPUT_THRESHOLD : LINEAR_REL_L2_THRESHOLD;
}

export interface LinearConfig {
  format: WeightFormat;
  /** Inputs per token: multiple of 8 (f32, f16) or 32 (q8_0, q4_0). */
  K: number;
  /** Rows of W: outputs per token (any count), or 2 x outputs with `swiglu` (then even). */
  N: number;
  bias: boolean;
  /** y[t, n] += result (o_proj/down into the residual stream) instead of y = result. */
  residual: boolean;
  /**
   * RMSNorm prologue: x is replaced by rmsnorm(x)[t, k] = x[t, k] * norm[k] / sqrt(mean_k x[t, k]^2 + eps),
   * with the f32 norm weights given to bind(). x itself is left as it is (it stays the residual stream).
   */
  norm?: { eps: number };
  /**
   * SwiGLU epilogue: W's rows are interleaved (row 2i = gate_i, row 2i+1 = up_i) and the layer writes
   * y[t, i] = silu(gate_i) * up_i, y being [rows, N / 2]. Not with `residual`. Every part of W must start
   * at an even row and hold an even count (allocTensor with rowMultiple 2).
   */
  swiglu?: boolean;
  /** Appended to the ops' label (e.g. "qkv": linear_q4_0_norm_qkv), so profiles tell the layers apart. */
  tag?: string;
  /** Variant per token tile (tuned); DEFAULT_LINEAR_VARIANT for the others. */
  variants?: Partial<Record<TokenTile, LinearVariant>>;
  /** Token tiles to compile (default all); bind() fails for a row count that needs another. */
  tiles?: readonly TokenTile[];
}

export interface LinearArgs {
  /** f32 [rows, K], token-major. */
  x: GPUBuffer;
  /** [N, K] in cfg.format. */
  w: QTensor;
  /** f32 [rows, N] ([rows, N / 2] with swiglu); read too in residual mode. */
  y: GPUBuffer;
  /** f32 [N], when cfg.bias (for W's rows: interleaved too with swiglu). */
  bias?: GPUBuffer;
  /** f32 [K] RMSNorm weights, when cfg.norm. */
  norm?: GPUBuffer;
  /** Tokens, 1..LINEAR_MAX_ROWS. */
  rows: number;
}

/** Test hooks of createLinear (production code passes none). */
export interface LinearBuildOptions {
  /** What sgmat variants are planned from (default sgmatEnvOf(device)). */
  sgmatEnv?: SgmatEnv;
  /** Rewrites the WGSL of sgmat variants (tests run a software emulation of subgroup matrices). */
  sgmatCode?: (code: string) => string;
}

export interface Linear {
  /** Creates bind groups and uniforms once; the Op only sets them and dispatches (one dispatch per part). */
  bind(args: LinearArgs, res: Resources): Op;
}

/** Per format: bindings 1 (data) and 2 (scales) and load_w(row, s) = weights 8s..8s+7 of a part's row. */
const WEIGHT_CODE: Record<WeightFormat, string> = {
  f32: `
@group(0) @binding(1) var<storage, read> w_data: array<vec4<f32>>;

fn load_w(row: u32, s: u32) -> W8 {
  let b = row * (params.K / 4u) + 2u * s;
  return W8(w_data[b], w_data[b + 1u]);
}`,
  f16: `
@group(0) @binding(1) var<storage, read> w_data: array<vec4<u32>>;

fn load_w(row: u32, s: u32) -> W8 {
  let q = w_data[row * (params.K / 8u) + s];
  return W8(vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y)), vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w)));
}`,
  q8_0: `
@group(0) @binding(1) var<storage, read> w_data: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> w_scales: array<u32>;

fn block_scale(block: u32) -> f32 {
  return unpack2x16float(w_scales[block >> 1u])[block & 1u];
}

// Four int8 (byte j = element j) sign-extended by arithmetic shifts.
fn i8x4(v: u32) -> vec4<f32> {
  let s = bitcast<i32>(v);
  return vec4<f32>(vec4<i32>(s << 24u, s << 16u, s << 8u, s) >> vec4<u32>(24u));
}

fn load_w(row: u32, s: u32) -> W8 {
  let q = w_data[row * (params.K / 8u) + s];
  let d = block_scale(row * (params.K / 32u) + s / 4u);
  return W8(d * i8x4(q.x), d * i8x4(q.y));
}`,
  q4_0: `
@group(0) @binding(1) var<storage, read> w_data: array<u32>;
@group(0) @binding(2) var<storage, read> w_scales: array<u32>;

fn block_scale(block: u32) -> f32 {
  return unpack2x16float(w_scales[block >> 1u])[block & 1u];
}

fn load_w(row: u32, s: u32) -> W8 {
  let q = vec4<u32>(w_data[row * (params.K / 8u) + s]);
  let d = block_scale(row * (params.K / 32u) + s / 4u);
  let lo = vec4<f32>((q >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u));
  let hi = vec4<f32>((q >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(15u));
  return W8(d * (lo - 8.0), d * (hi - 8.0));
}`,
};

const BIAS_CODE = {
  with: `
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn add_bias(n: u32, v: f32) -> f32 {
  return v + bias[n];
}`,
  without: `
fn add_bias(n: u32, v: f32) -> f32 {
  return v;
}`,
};

const NORM_CODE = {
  with: `
const NORM: bool = true;
const NORM_ROWS: u32 = 1u;
@group(0) @binding(6) var<storage, read> norm_w: array<vec4<f32>>;

fn norm_w8(s: u32) -> W8 {
  return W8(norm_w[2u * s], norm_w[2u * s + 1u]);
}`,
  without: `
const NORM: bool = false;
const NORM_ROWS: u32 = 0u;

fn norm_w8(s: u32) -> W8 {
  return W8(vec4<f32>(1.0), vec4<f32>(1.0));
}`,
};

/** Per reduction: the enable directive, its workgroup memory and reduce_outputs / reduced (see linear.wgsl). */
const REDUCE_CODE: Record<GemvVariant['reduce'], { enable: string; reduce: string }> = {
  tree: {
    enable: '',
    reduce: `
// Output j of thread lid at partial[j * WG + lid], halved into partial[j * WG].
var<workgroup> partial: array<f32, WG * (ROWS + NORM_ROWS) * TT>;

fn reduce_outputs(lid: u32, vals: ptr<function, array<f32, MAX_OUT>>) {
  let count = (ROWS + NORM_ROWS) * TT;
  for (var j = 0u; j < count; j++) {
    partial[j * WG + lid] = (*vals)[j];
  }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      for (var j = 0u; j < count; j++) {
        partial[j * WG + lid] += partial[j * WG + lid + stride];
      }
    }
    workgroupBarrier();
  }
}

fn reduced(j: u32) -> f32 {
  return partial[j * WG];
}`,
  },
  subgroup: {
    enable: 'enable subgroups;',
    reduce: `
// A subgroup has at least 4 lanes, so at most WG / 4 subgroups claim a slot each. The claim order (and so
// the order the slots are summed in) varies between runs: the last bits of a sum may too.
override SG_SLOTS: u32 = WG / 4u;
var<workgroup> sg_sums: array<f32, SG_SLOTS * (ROWS + NORM_ROWS) * TT>;
var<workgroup> sg_count: atomic<u32>;

fn reduce_outputs(lid: u32, vals: ptr<function, array<f32, MAX_OUT>>) {
  let count = (ROWS + NORM_ROWS) * TT;
  var sums: array<f32, MAX_OUT>;
  for (var j = 0u; j < count; j++) {
    sums[j] = subgroupAdd((*vals)[j]);
  }
  if (subgroupElect()) {
    let slot = atomicAdd(&sg_count, 1u);
    for (var j = 0u; j < count; j++) {
      sg_sums[j * SG_SLOTS + slot] = sums[j];
    }
  }
  workgroupBarrier();
}

fn reduced(j: u32) -> f32 {
  let n = atomicLoad(&sg_count);
  var v = 0.0;
  for (var i = 0u; i < n; i++) {
    v += sg_sums[j * SG_SLOTS + i];
  }
  return v;
}`,
  },
};

/** Kernel label: linear_<format>[_norm][_swiglu] (pipelines) and [_<tag>] (ops). */
function linearLabel(cfg: LinearConfig, withTag: boolean): string {
  const parts = [`linear_${cfg.format}`, cfg.norm ? 'norm' : '', cfg.swiglu ? 'swiglu' : '', withTag ? (cfg.tag ?? '') : ''];
  return parts.filter(Boolean).join('_');
}

/** Smallest compiled token tile holding `rows` tokens (8 for 8 or more: several tiles along z). */
export function tokenTile(rows: number): TokenTile {
  return TOKEN_TILES.find((t) => t >= rows) ?? TOKEN_TILES[TOKEN_TILES.length - 1]!;
}

/** Compiles the layer's pipelines (one per token tile); bind() then ties them to buffers. */
export async function createLinear(device: GPUDevice, cfg: LinearConfig, opts: LinearBuildOptions = {}): Promise<Linear> {
  const { format, K, N } = cfg;
  const label = linearLabel(cfg, true);
  const pipelineLabel = linearLabel(cfg, false);
  const swiglu = cfg.swiglu === true;
  const m = colsMultiple(format);
  if (!(Number.isInteger(K) && K > 0 && K % m === 0)) throw new Error(`${label}: K=${K} must be a positive multiple of ${m}`);
  if (!(Number.isInteger(N) && N > 0)) throw new Error(`${label}: N=${N} must be a positive integer`);
  if (swiglu && N % 2 !== 0) throw new Error(`${label}: N=${N} must be even (interleaved gate/up rows)`);
  if (swiglu && cfg.residual) throw new Error(`${label}: the SwiGLU epilogue has no residual mode`);
  if (cfg.norm && !(Number.isFinite(cfg.norm.eps) && cfg.norm.eps >= 0)) throw new Error(`${label}: norm eps ${cfg.norm.eps} must be finite and >= 0`);
  const outCols = swiglu ? N / 2 : N;
  const tiles = cfg.tiles ?? TOKEN_TILES;
  const pipelines = new Map<number, { pipeline: GPUComputePipeline; variant: LinearVariant }>();
  await Promise.all(
    tiles.map(async (tt) => {
      const variant = cfg.variants?.[tt] ?? DEFAULT_LINEAR_VARIANT;
      const problem = linearVariantProblem(device, cfg, tt, variant, opts.sgmatEnv);
      if (problem) throw new Error(`${label}: variant ${linearVariantId(variant)} at token tile ${tt}: ${problem}`);
      const shared = layerCode(cfg);
      const modes = { RESIDUAL: cfg.residual ? 1 : 0, SWIGLU: swiglu ? 1 : 0 };
      const sgmatSpec = (v: SgmatLinearVariant) => {
        const plan = planSgmatLinear(opts.sgmatEnv ?? sgmatEnvOf(device), v) as SgmatLinearPlan;
        const code = linearSgmatWgsl(cfg, v, plan);
        return { label: `${pipelineLabel}_sgmat`, code: opts.sgmatCode ? opts.sgmatCode(code) : code, constants: { SG_SIZE: plan.sgSize, ...modes } };
      };
      const spec = isSgmat(variant)
        ? sgmatSpec(variant)
        : isTiled(variant)
        ? {
            label: `${pipelineLabel}_tiled`,
            code: fillTemplate(linearTiledWgsl, shared),
            constants: { WG_X: variant.wgX, WG_Y: variant.wgY, TM: variant.tm, TN: variant.tn, BK: variant.bk, ...modes },
          }
        : {
            label: pipelineLabel,
            code: fillTemplate(linearWgsl, { ...REDUCE_CODE[variant.reduce], ...shared }),
            constants: { WG: variant.wg, ROWS: variant.rows, VS: variant.vs, TT: tt, ...modes },
          };
      pipelines.set(tt, { pipeline: await getPipeline(device, spec), variant });
    }),
  );
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  const maxBinding = device.limits.maxStorageBufferBindingSize;

  return {
    bind({ x, w, y, bias, norm, rows }: LinearArgs, res: Resources): Op {
      const fail = (why: string): never => {
        throw new Error(`${label}: ${why}`);
      };
      if (!(Number.isInteger(rows) && rows >= 1 && rows <= LINEAR_MAX_ROWS)) fail(`rows=${rows} outside 1..${LINEAR_MAX_ROWS}`);
      if (w.format !== format || w.rows !== N || w.cols !== K) {
        fail(`weights ${w.label} are ${w.format} [${w.rows}, ${w.cols}], expected ${format} [${N}, ${K}]`);
      }
      if (cfg.bias !== (bias !== undefined)) fail(cfg.bias ? 'a bias buffer is required' : 'bias given to a layer built without bias');
      if (!!cfg.norm !== (norm !== undefined)) fail(cfg.norm ? 'norm weights are required' : 'norm weights given to a layer built without norm');
      if (swiglu) {
        const odd = w.parts.find((p) => p.rowStart % 2 !== 0 || p.rows % 2 !== 0);
        if (odd) fail(`weights ${w.label} have a part of rows ${odd.rowStart}..${odd.rowStart + odd.rows - 1}: SwiGLU needs parts of whole (gate, up) pairs`);
      }
      const xBytes = rows * K * 4;
      const yBytes = rows * outCols * 4;
      if (x.size < xBytes) fail(`x (${x.label}) has ${x.size} bytes, needs ${xBytes}`);
      if (y.size < yBytes) fail(`y (${y.label}) has ${y.size} bytes, needs ${yBytes}`);
      if (bias && bias.size < N * 4) fail(`bias (${bias.label}) has ${bias.size} bytes, needs ${N * 4}`);
      if (norm && norm.size < K * 4) fail(`norm (${norm.label}) has ${norm.size} bytes, needs ${K * 4}`);
      if (Math.max(xBytes, yBytes) > maxBinding) fail(`x or y exceeds maxStorageBufferBindingSize ${maxBinding}: split the tokens`);

      const tt = tokenTile(rows);
      const { pipeline, variant } = pipelines.get(tt) ?? fail(`token tile ${tt} (for ${rows} rows) was not compiled (tiles ${tiles.join(', ')})`);
      // Rows of W and tokens one workgroup covers.
      const [groupRows, groupTokens] = isSgmat(variant)
        ? [variant.bn, variant.bm]
        : isTiled(variant)
          ? [variant.wgX * variant.tn, variant.wgY * variant.tm]
          : [variant.rows, tt];
      const tokenTiles = Math.ceil(rows / groupTokens);
      const layout = pipeline.getBindGroupLayout(0);
      const dispatches = w.parts.map((part, p) => {
        const groups = Math.ceil(part.rows / groupRows);
        const gx = Math.min(groups, maxGroups);
        const gy = Math.ceil(groups / gx);
        const words = new ArrayBuffer(32);
        new Uint32Array(words, 0, 6).set([K, N, rows, part.rowStart, part.rows, gx]);
        new Float32Array(words, 24, 1).set([cfg.norm?.eps ?? 0]);
        const uniform = createUniform(device, res, `${label}.part${p}.params`, words);
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: x, size: xBytes } },
          { binding: 1, resource: { buffer: part.data } },
          { binding: 3, resource: { buffer: y, size: yBytes } },
          { binding: 5, resource: { buffer: uniform } },
        ];
        if (part.scales) entries.push({ binding: 2, resource: { buffer: part.scales } });
        if (bias) entries.push({ binding: 4, resource: { buffer: bias, size: N * 4 } });
        if (norm) entries.push({ binding: 6, resource: { buffer: norm, size: K * 4 } });
        const group = device.createBindGroup({ label: `${label}.part${p}.bind`, layout, entries });
        return { group, gx, gy };
      });
      return {
        label,
        encode(pass: GPUComputePassEncoder) {
          pass.setPipeline(pipeline);
          for (const d of dispatches) {
            pass.setBindGroup(0, d.group);
            pass.dispatchWorkgroups(d.gx, d.gy, tokenTiles);
          }
        },
      };
    },
  };
}

/** One verification case: a layer shape, its mode and how many row-parts its weights are split into. */
export interface LinearCase extends LinearConfig {
  rows: number;
  parts: number;
}

/** Outputs a case writes: rows x N, or rows x N / 2 with the SwiGLU epilogue. */
export function linearOutputs(c: LinearCase): number {
  return c.rows * (c.swiglu ? c.N / 2 : c.N);
}

/**
 * Sizes of the run-time check: odd N, K a few steps long, every token tile, each mode, split tensors
 * (odd part starts for the plain and norm layers, even ones for SwiGLU), and the fused forms the model
 * uses: norm + bias (QKV) and norm + SwiGLU (gate/up), with an eps large enough to matter.
 */
const CHECK_SHAPES: ReadonlyArray<Omit<LinearCase, 'format'>> = [
  { K: 96, N: 37, rows: 1, bias: false, residual: false, parts: 1 },
  { K: 64, N: 130, rows: 9, bias: true, residual: false, parts: 1 },
  { K: 96, N: 37, rows: 3, bias: false, residual: true, parts: 1 },
  { K: 64, N: 130, rows: 17, bias: false, residual: false, parts: 3 },
  { K: 96, N: 37, rows: 5, bias: true, residual: false, parts: 3, norm: { eps: 0.25 } },
  { K: 64, N: 130, rows: 9, bias: false, residual: false, parts: 1, norm: { eps: 1e-5 }, swiglu: true },
  { K: 64, N: 130, rows: 17, bias: false, residual: false, parts: 3, norm: { eps: 1e-5 }, swiglu: true },
];

/** Every format with every check shape. */
export const LINEAR_CHECK_CASES: readonly LinearCase[] = WEIGHT_FORMATS.flatMap((format) => CHECK_SHAPES.map((s) => ({ format, ...s })));

export function describeLinearCase(c: LinearCase): string {
  const mode = [
    c.norm ? `norm(eps ${c.norm.eps})` : '',
    c.bias ? '+bias' : '',
    c.residual ? 'residual' : '',
    c.swiglu ? 'swiglu' : '',
    c.parts > 1 ? `${c.parts} parts` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${c.format} ${c.rows}x${c.K}->${c.N}${mode ? ` ${mode}` : ''}`;
}

const CHECK_SEED = 0x11ea4;

/**
 * The buffers of one case with random weights (generated on the GPU, bit-identical to the CPU copy), x,
 * bias and norm weights: built once, then any variant of the layer can be bound to it, run and checked.
 */
export interface LinearFixture {
  readonly c: LinearCase;
  readonly args: LinearArgs;
  /**
   * Poisons (or, residual, refills) y, runs `op` once and compares with the float64 reference; passes at
   * a relative L2 error up to `threshold` (linearThreshold of the variant run).
   */
  check(op: Op, threshold?: number): Promise<Verification>;
}

/**
 * Builds a fixture for `c` in `res`. `sampleOutputs`: above this many outputs per token, the reference
 * is computed for that many sampled columns (both ends included; whole gate/up pairs with SwiGLU) while
 * every output is still checked for poison: real-shape checks (an lm_head is ~10^9 weights) stay cheap.
 */
export async function linearFixture(
  device: GPUDevice,
  res: Resources,
  c: LinearCase,
  timeoutMs: number,
  sampleOutputs = Infinity,
): Promise<LinearFixture> {
  const seed = (CHECK_SEED + c.K * 7919 + c.N * 104729 + c.rows) >>> 0;
  const ampLog2 = ampLog2For(c.K);
  const rowMultiple = c.swiglu ? 2 : 1;
  const rowsPerPart = Math.ceil(c.N / c.parts / rowMultiple) * rowMultiple;
  const maxBinding = c.parts > 1 ? dataBytes(c.format, rowsPerPart * c.K) : device.limits.maxStorageBufferBindingSize;
  const w = allocTensor(device, res, `linear_${c.format}.check.w`, c.format, c.N, c.K, maxBinding, rowMultiple);
  if (c.parts > 1 && w.parts.length !== c.parts) throw new Error(`${describeLinearCase(c)}: split into ${w.parts.length} parts, wanted ${c.parts}`);
  await generateWeights(device, res, w, seed, ampLog2);
  const outputs = linearOutputs(c);
  const outCols = outputs / c.rows;
  const x = createBuffer(device, res, `linear_${c.format}.check.x`, c.rows * c.K * 4);
  const y = createBuffer(device, res, `linear_${c.format}.check.y`, outputs * 4);
  const bias = c.bias ? createBuffer(device, res, `linear_${c.format}.check.bias`, c.N * 4) : undefined;
  const norm = c.norm ? createBuffer(device, res, `linear_${c.format}.check.norm`, c.K * 4) : undefined;
  const seeds = { x: seed + 1, bias: seed + 2, y: seed + 3, norm: seed + 4 };
  await fillHash(device, res, x, c.rows * c.K, seeds.x);
  if (bias) await fillHash(device, res, bias, c.N, seeds.bias);
  if (norm) await fillHash(device, res, norm, c.K, seeds.norm);

  // Output columns checked against the reference, and the rows of W they need (pairs with SwiGLU).
  const cols = sampleIndices(outCols, Math.min(outCols, sampleOutputs), seed);
  const wRows = c.swiglu ? cols.flatMap((o) => [2 * o, 2 * o + 1]) : cols;
  const hash = (i: number, s: number) => hashValue(s, i);
  const hashes = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => hash(i, s));
  let ref: Float64Array | undefined;
  const reference = (): Float64Array => {
    if (ref) return ref;
    const W = new Float32Array(wRows.length * c.K);
    wRows.forEach((r, i) => W.set(dequantRows(c.format, seed, ampLog2, r, 1, c.K), i * c.K));
    const yIn = c.residual ? Float32Array.from({ length: c.rows * cols.length }, (_, i) => hash(Math.floor(i / cols.length) * outCols + (cols[i % cols.length] as number), seeds.y)) : undefined;
    ref = linearRef(hashes(c.rows * c.K, seeds.x), c.rows, c.K, W, wRows.length, c.bias ? wRows.map((r) => hash(r, seeds.bias)) : undefined, yIn, {
      ...(c.norm ? { norm: { w: hashes(c.K, seeds.norm), eps: c.norm.eps } } : {}),
      ...(c.swiglu ? { swiglu: true } : {}),
    });
    return ref;
  };
  const args: LinearArgs = { x, w, y, rows: c.rows, ...(bias ? { bias } : {}), ...(norm ? { norm } : {}) };
  return {
    c,
    args,
    async check(op: Op, threshold = LINEAR_REL_L2_THRESHOLD): Promise<Verification> {
      if (c.residual) await fillHash(device, res, y, outputs, seeds.y);
      else await fillConst(device, res, y, outputs, NaN);
      runOnce(device, op);
      const got = new Float32Array(await readBuffer(device, y, timeoutMs, 0, outputs * 4));
      let unwritten = 0;
      for (const v of got) if (!Number.isFinite(v)) unwritten++;
      const picked = Float32Array.from({ length: c.rows * cols.length }, (_, i) => got[Math.floor(i / cols.length) * outCols + (cols[i % cols.length] as number)] as number);
      const err = relativeL2(picked, reference());
      const ok = unwritten === 0 && err <= threshold;
      const which = cols.length === outCols ? 'all outputs' : `${cols.length} sampled columns x ${c.rows} tokens (both ends included), every output checked for poison`;
      return {
        state: ok ? 'passed' : 'failed',
        method: `relative L2 error vs float64 CPU reference on dequantised weights, ${describeLinearCase(c)}, ${which}`,
        error: Number.isFinite(err) ? err : -1,
        threshold,
        checked: picked.length,
        ...(unwritten ? { detail: `${unwritten} outputs not written (poison NaN survived)` } : {}),
      };
    },
  };
}

/**
 * Runs one case (with c.variants, if any) on random x (and bias, norm weights, and y for residual mode;
 * otherwise y is poisoned with NaN) and compares y with linearRef on the dequantised weights, at the
 * threshold of the variant the case's token tile runs. `replace` swaps the layer's Op (tests pass one
 * that skips the dispatch to prove the check can fail); `build` goes to createLinear.
 */
export async function verifyLinear(
  device: GPUDevice,
  c: LinearCase,
  timeoutMs: number,
  replace?: (op: Op) => Op,
  build?: LinearBuildOptions,
): Promise<Verification> {
  const res = new Resources();
  try {
    const fixture = await linearFixture(device, res, c, timeoutMs);
    const op = (await createLinear(device, c, build)).bind(fixture.args, res);
    const variant = c.variants?.[tokenTile(c.rows)] ?? DEFAULT_LINEAR_VARIANT;
    return await fixture.check(replace ? replace(op) : op, linearThreshold(variant));
  } finally {
    res.destroyAll();
  }
}

/**
 * Run-time self check of the linear layer: every format on LINEAR_CHECK_CASES (small, odd sizes: a few
 * seconds on a software rasteriser), plain and fused. One Verification: worst error, outputs checked over
 * all cases.
 */
export async function checkLinear(device: GPUDevice, timeoutMs: number): Promise<Verification> {
  const failures: string[] = [];
  let worst = 0;
  let checked = 0;
  for (const c of LINEAR_CHECK_CASES) {
    const v = await verifyLinear(device, c, timeoutMs);
    checked += v.checked;
    if (v.error < 0) worst = -1;
    else if (worst >= 0) worst = Math.max(worst, v.error);
    if (v.state === 'failed') failures.push(`${describeLinearCase(c)}: error ${v.error}${v.detail ? ` (${v.detail})` : ''}`);
  }
  const shapes = CHECK_SHAPES.map((s) => describeLinearCase({ format: 'f32', ...s }).slice('f32 '.length)).join(', ');
  return {
    state: failures.length ? 'failed' : 'passed',
    method:
      `relative L2 error vs float64 CPU reference on dequantised synthetic weights, all outputs, ` +
      `formats ${WEIGHT_FORMATS.join('/')} x shapes (tokens x K -> N) ${shapes}; worst case reported`,
    error: worst,
    threshold: LINEAR_REL_L2_THRESHOLD,
    checked,
    ...(failures.length ? { detail: failures.join('; ') } : {}),
  };
}
