/**
 * The variants of the linear layer: what each kind compiles (GEMV, tiled GEMM, subgroup-matrix GEMM),
 * their stable ids, the candidates an autotuner times, and whether one can run a layer at a token tile
 * on a device (limits and features read from the device, never assumed). The subgroup-matrix kind is
 * planned from the adapter's configurations (planSgmatLinear).
 */
import type { Variant } from '../../core/variant';
import { SGMAT_FEATURE, type SgmatEnv, type SubgroupMatrixConfig, describeConfig, sgmatEnvOf, subgroupMatrixConfigs } from '../matmul/sgmat-plan';

/**
 * One tuning point of shaders/linear/linear.wgsl (the GEMV-style kernel). wg: threads (power of two:
 * the tree halves it); rows: output rows per workgroup (each x load serves this many); vs: consecutive
 * 8-weight steps per thread per iteration (contiguous bytes per thread: 4 vs 16 for q4_0); reduce: tree
 * in workgroup memory or subgroupAdd (needs the `subgroups` feature).
 */
export interface GemvParams {
  kind?: 'gemv';
  wg: number;
  rows: 1 | 2 | 4;
  vs: 1 | 4;
  reduce: 'tree' | 'subgroup';
}

/**
 * One tuning point of shaders/linear/tiled.wgsl (a tiled GEMM for token tile 8: prefill and large
 * decode batches): wgX x wgY threads, each computing tm tokens x tn rows; K slices of bk weights.
 */
export interface TiledParams {
  kind: 'tiled';
  wgX: number;
  wgY: number;
  tm: 1 | 2 | 4;
  tn: 2 | 4;
  bk: 8 | 16 | 32;
}

/**
 * One tuning point of shaders/linear/sgmat.wgsl (an f16 GEMM on the matrix units, f32 accumulation,
 * for token tile 8): a bm tokens x bn rows tile per workgroup, sgM x sgN subgroups each owning a
 * (bm / sgM) x (bn / sgN) block of result fragments, K slices of bk. The fragment shape comes from the
 * adapter's subgroupMatrixConfigs (planSgmatLinear), never from here.
 */
export interface SgmatLinearParams {
  kind: 'sgmat';
  bm: number;
  bn: number;
  sgM: number;
  sgN: number;
  bk: number;
}

/** What a linear variant compiles. */
export type LinearParams = GemvParams | TiledParams | SgmatLinearParams;

export function isTiled(p: LinearParams): p is TiledParams {
  return p.kind === 'tiled';
}

export function isSgmat(p: LinearParams): p is SgmatLinearParams {
  return p.kind === 'sgmat';
}

/** GEMM-style variants (token tile 8 only): tiled f32 and subgroup-matrix f16. */
function isGemm(p: LinearParams): p is TiledParams | SgmatLinearParams {
  return isTiled(p) || isSgmat(p);
}

/**
 * Stable name of a variant, e.g. "wg64.r2.v1.tree", "tiled.32x64.k32.t4x4" or "sgmat.f16.64x64.k32.s2x2"
 * (cache keys and results; "f16" records that its operands are rounded to f16).
 */
export function linearVariantId(p: LinearParams): string {
  if (isTiled(p)) return `tiled.${p.wgY * p.tm}x${p.wgX * p.tn}.k${p.bk}.t${p.tm}x${p.tn}`;
  if (isSgmat(p)) return `sgmat.f16.${p.bm}x${p.bn}.k${p.bk}.s${p.sgM}x${p.sgN}`;
  return `wg${p.wg}.r${p.rows}.v${p.vs}.${p.reduce}`;
}

/** The variant used when nothing is tuned (the one every earlier result used); it runs on WebGPU's minimum limits. */
export const DEFAULT_LINEAR_PARAMS: LinearParams = { wg: 64, rows: 2, vs: 1, reduce: 'tree' };

/**
 * Candidates an autotuner times, default first. Wider workgroups and more rows suit long K and big
 * GPUs; vs 4 gives quantised rows longer contiguous loads per thread; subgroup reductions drop the
 * log2(WG) barrier rounds of the tree (what dominates a short-K GEMV). The tiled GEMMs only run token
 * tile 8, where a weight loaded once serves 32 or 64 tokens instead of 8 (prefill is compute-bound).
 */
export const LINEAR_CANDIDATES: readonly LinearParams[] = [
  DEFAULT_LINEAR_PARAMS,
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
  // matmul subgroup-matrix tile: ~30 KiB of workgroup memory with 16 x 16 fragments), and 64 x 64 with
  // 2 x 2 subgroups of 32 x 32 for devices with 16 KiB of workgroup memory or few row tiles.
  { kind: 'sgmat', bm: 128, bn: 128, sgM: 2, sgN: 4, bk: 32 },
  { kind: 'sgmat', bm: 64, bn: 64, sgM: 2, sgN: 2, bk: 32 },
];

/** What of a layer's config decides whether a variant can run it (LinearConfig has these). */
export interface LayerModes {
  norm?: { eps: number };
  swiglu?: boolean;
}

/** Test hook of the subgroup-matrix kind: what it is planned from (default sgmatEnvOf(device)). */
export interface SgmatEnvOption {
  sgmatEnv?: SgmatEnv;
}

/**
 * Bytes of workgroup memory a variant declares for a token tile. GEMV tree: WG slots per output;
 * subgroup: WG / 4; tiled: the x and W slices, the norm partial sums and 1/rms per token.
 */
function workgroupBytes(p: GemvParams | TiledParams, tt: number, norm: boolean): number {
  if (isTiled(p)) {
    const bm = p.wgY * p.tm;
    const bn = p.wgX * p.tn;
    return 4 * (bm * p.bk + bn * (p.bk + 1) + bm * p.wgX + bm);
  }
  const outputs = (p.rows + (norm ? 1 : 0)) * tt;
  return p.reduce === 'tree' ? 4 * p.wg * outputs : 4 * (p.wg / 4) * outputs + 8;
}

function memoryProblem(bytes: number, lim: GPUSupportedLimits): string | undefined {
  const max = lim.maxComputeWorkgroupStorageSize;
  return bytes > max ? `${bytes} B of workgroup memory > maxComputeWorkgroupStorageSize ${max}` : undefined;
}

function tiledProblem(device: GPUDevice, cfg: LayerModes, tt: number, p: TiledParams): string | undefined {
  const lim = device.limits;
  if (tt !== 8) return 'the tiled GEMM runs token tile 8 only (prefill and large batches)';
  if (p.wgX * p.wgY > lim.maxComputeInvocationsPerWorkgroup || p.wgX > lim.maxComputeWorkgroupSizeX || p.wgY > lim.maxComputeWorkgroupSizeY) {
    return `workgroup ${p.wgX}x${p.wgY} exceeds this device's limits`;
  }
  if (cfg.swiglu && p.tn % 2 !== 0) return 'the SwiGLU epilogue needs an even row count per thread';
  return memoryProblem(workgroupBytes(p, tt, !!cfg.norm), lim);
}

function gemvProblem(device: GPUDevice, cfg: LayerModes, tt: number, p: GemvParams): string | undefined {
  const lim = device.limits;
  if (!(Number.isInteger(Math.log2(p.wg)) && p.wg >= 4)) return `workgroup size ${p.wg} is not a power of two >= 4`;
  if (p.wg > lim.maxComputeInvocationsPerWorkgroup || p.wg > lim.maxComputeWorkgroupSizeX) return `workgroup size ${p.wg} exceeds this device's limits`;
  if (cfg.swiglu && p.rows % 2 !== 0) return 'the SwiGLU epilogue needs an even row count per workgroup';
  if (p.rows * tt > p.wg) return `${p.rows * tt} outputs per workgroup need at least as many threads (have ${p.wg})`;
  const memory = memoryProblem(workgroupBytes(p, tt, !!cfg.norm), lim);
  if (memory) return memory;
  if (p.reduce === 'subgroup' && !device.features.has('subgroups')) return 'subgroup reduction needs the subgroups feature';
  return undefined;
}

/**
 * The variant of `params` for a layer with `cfg`'s modes at token tile `tt`: whether it can run is read
 * from the device's limits and features (a subgroup size is never needed, only the feature); the
 * subgroup-matrix kind is planned from `opts.sgmatEnv` (default sgmatEnvOf(device)).
 */
export function linearVariant(cfg: LayerModes, tt: number, params: LinearParams, opts: SgmatEnvOption = {}): Variant<LinearParams> {
  const problem = (device: GPUDevice): string | undefined => {
    if (isSgmat(params)) {
      if (tt !== 8) return 'the subgroup-matrix GEMM runs token tile 8 only (prefill and large batches)';
      const plan = planSgmatLinear(opts.sgmatEnv ?? sgmatEnvOf(device), params);
      return typeof plan === 'string' ? plan : undefined;
    }
    return isTiled(params) ? tiledProblem(device, cfg, tt, params) : gemvProblem(device, cfg, tt, params);
  };
  return { id: linearVariantId(params), params, problem };
}

/**
 * Every candidate for a layer with `cfg`'s modes at token tile `tt`, default first, then (token tile 8)
 * the GEMMs, matrix units first, then the other GEMVs: a run that times few of the feasible ones still
 * compares the kinds. feasible(linearVariants(...), device) gives those a device can run.
 */
export function linearVariants(cfg: LayerModes, tt: number, opts: SgmatEnvOption = {}): Variant<LinearParams>[] {
  const [first, ...rest] = LINEAR_CANDIDATES as [LinearParams, ...LinearParams[]];
  const ordered = [first, ...rest.filter(isSgmat), ...rest.filter(isTiled), ...rest.filter((p) => !isGemm(p))];
  return ordered.map((p) => linearVariant(cfg, tt, p, opts));
}

/** Threads per token row summing squares in shaders/linear/sgmat.wgsl (NORM_LANES there). */
const SGMAT_NORM_LANES = 4;

/** How an sgmat variant runs on a device: the adapter's fragment shape, subgroup size and fragments per subgroup. */
export interface SgmatLinearPlan {
  config: SubgroupMatrixConfig;
  sgSize: number;
  fm: number;
  fn: number;
}

/** The adapter's f16 x f16 -> f32 configuration tiling an sgmat variant's subgroup block, or why there is none. */
function sgmatConfig(env: SgmatEnv, p: SgmatLinearParams): SubgroupMatrixConfig | string {
  const blockM = p.bm / p.sgM;
  const blockN = p.bn / p.sgN;
  const configs = subgroupMatrixConfigs(env.info);
  const fits = (c: SubgroupMatrixConfig) => c.componentType === 'f16' && blockM % c.M === 0 && blockN % c.N === 0 && p.bk % c.K === 0 && c.N % 2 === 0;
  const usable = configs.filter((c) => fits(c) && c.resultComponentType === 'f32');
  usable.sort((a, b) => b.M * b.N * b.K - a.M * a.N * a.K || b.K - a.K);
  const config = usable[0];
  if (config) return config;
  const offered = configs.length ? configs.map(describeConfig).join(', ') : 'none';
  const f16Only = configs.some((c) => fits(c) && c.resultComponentType === 'f16');
  return f16Only
    ? `the adapter's subgroup matrices accumulate f16 x f16 only in f16 (offered: ${offered}): too inexact over a layer's K, skipped`
    : `no f16 x f16 -> f32 subgroup-matrix configuration tiles a ${blockM}x${blockN} block with K slices of ${p.bk} (offered: ${offered})`;
}

/**
 * The configuration and layout an sgmat variant uses on `env`, or why it cannot run there (messages a
 * user can act on). Needs the subgroup-matrix feature and shader-f16, an f16 x f16 -> f32 configuration
 * whose fragments tile the variant's per-subgroup block (an f16 accumulator would lose the sums over a
 * real K: such adapters are skipped), a known maximum subgroup size, and the device's limits.
 */
export function planSgmatLinear(env: SgmatEnv, p: SgmatLinearParams): SgmatLinearPlan | string {
  if (!env.features.has(SGMAT_FEATURE)) {
    return `${SGMAT_FEATURE} not supported by this adapter: the f16 subgroup-matrix linear is skipped (Dawn offers it only with allow_unsafe_apis; on NVIDIA Vulkan also vulkan_enable_f16_on_nvidia)`;
  }
  if (!env.features.has('shader-f16')) return 'shader-f16 not supported by this adapter: the f16 subgroup-matrix linear is skipped';
  if (!(p.bm % p.sgM === 0 && p.bn % p.sgN === 0 && p.bk % 8 === 0)) return `tile ${p.bm}x${p.bn}.k${p.bk} does not split into ${p.sgM}x${p.sgN} subgroups and K steps of 8`;
  const config = sgmatConfig(env, p);
  if (typeof config === 'string') return config;
  const sgSize = env.info?.subgroupMaxSize;
  if (typeof sgSize !== 'number' || sgSize < 1) return "adapter info reports no subgroupMaxSize, which sizes the kernel's workgroup";
  const lim = env.limits;
  const groups = p.sgM * p.sgN;
  if (sgSize > lim.maxComputeWorkgroupSizeX || groups > lim.maxComputeWorkgroupSizeY || sgSize * groups > lim.maxComputeInvocationsPerWorkgroup) {
    return `workgroup ${sgSize}x${groups} exceeds this device's limits`;
  }
  const bytes = 2 * (p.bm + p.bn) * (p.bk + 8) + 4 * groups * config.M * config.N + 4 * p.bm * (SGMAT_NORM_LANES + 1);
  if (bytes > lim.maxComputeWorkgroupStorageSize) return `${bytes} B of workgroup memory > maxComputeWorkgroupStorageSize ${lim.maxComputeWorkgroupStorageSize}`;
  return { config, sgSize, fm: p.bm / p.sgM / config.M, fn: p.bn / p.sgN / config.N };
}
