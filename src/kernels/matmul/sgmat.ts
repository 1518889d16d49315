/**
 * f16 GEMM on the matrix units (tensor cores) through Dawn's `chromium-experimental-subgroup-matrix`
 * (shaders/matmul_subgroup_matrix.wgsl), with its CPU check. The matrix shape and accumulator type come
 * from the adapter's `subgroupMatrixConfigs` at run time; everything that decides whether the kernel can
 * run here is a pure function so the suite can record a precise skip reason.
 */
import sgmatTemplate from '../../../shaders/matmul/subgroup_matrix.wgsl?raw';
import { type Resources, createBuffer, createUniform, readBufferChunks } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import type { Verification } from '../../schema/result';
import { fillConst, fillHashF16 } from '../../core/fill';
import { type MatmulShape, matmulRef, matmulSamplePicks, relativeL2 } from './matmul.ref';
import { f16FromBits, hashValueF16, sgmatOperands, sgmatRefAt, sgmatThreshold } from './sgmat.ref';
import type { BenchKernel } from '../../core/work';
import { gridWork, runOnce } from '../../core/work';

/** The WebGPU feature (Dawn, experimental) that exposes subgroup matrices. */
export const SGMAT_FEATURE = 'chromium-experimental-subgroup-matrix';

/** Above this many multiply-adds the CPU checks a sample of outputs instead of all of them. */
const FULL_CHECK_MACS = 1 << 26;
/** Outputs recomputed on the CPU for large shapes (plus the last row and column). */
const SAMPLED_OUTPUTS = 768;
/** Bits of an f16 NaN in both halves of a word: poisons two f16 outputs at once. */
const F16_NAN_PAIR = 0x7e007e00;

/** One entry of GPUAdapterInfo.subgroupMatrixConfigs (Dawn): left M x K, right K x N, result M x N. */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/** The configuration the kernel is built for and the type it accumulates (and stores C) in. */
export interface SgmatChoice {
  config: SubgroupMatrixConfig;
  accumulate: 'f32' | 'f16';
}

/** Adapter info as far as this kernel reads it (GPUAdapterInfo plus Dawn's experimental fields). */
export interface SgmatAdapterInfo {
  subgroupMaxSize?: number;
  subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig>;
}

/** Adapter info's subgroupMatrixConfigs as plain objects ([] when the attribute is missing). */
export function subgroupMatrixConfigs(info: SgmatAdapterInfo | undefined): SubgroupMatrixConfig[] {
  const list = info?.subgroupMatrixConfigs;
  if (!list) return [];
  // Copy field by field: the browser's interface objects keep their attributes on the prototype.
  return [...list].map((c) => ({ componentType: c.componentType, resultComponentType: c.resultComponentType, M: c.M, N: c.N, K: c.K }));
}

/** "f16 16x16x16 -> f32". */
export function describeConfig(c: SubgroupMatrixConfig): string {
  return `${c.componentType} ${c.M}x${c.N}x${c.K} -> ${c.resultComponentType}`;
}

/**
 * Picks the configuration for an f16 GEMM: f16 left/right operands required; an f32 result
 * (accumulator) preferred over f16, for accuracy; then the most work per operation (M*N*K: fewer
 * instructions per flop); then the larger K; then the adapter's own order. Null when none has f16 inputs.
 */
export function selectSgmatConfig(configs: readonly SubgroupMatrixConfig[]): SgmatChoice | null {
  const candidates = configs
    .map((config, order) => ({ config, order }))
    .filter(({ config: c }) => c.componentType === 'f16' && (c.resultComponentType === 'f32' || c.resultComponentType === 'f16'));
  candidates.sort(
    (x, y) =>
      Number(y.config.resultComponentType === 'f32') - Number(x.config.resultComponentType === 'f32') ||
      y.config.M * y.config.N * y.config.K - x.config.M * x.config.N * x.config.K ||
      y.config.K - x.config.K ||
      x.order - y.order,
  );
  const best = candidates[0];
  return best ? { config: best.config, accumulate: best.config.resultComponentType as 'f32' | 'f16' } : null;
}

/** Workgroup shape of the kernel; see the layout comment in shaders/matmul_subgroup_matrix.wgsl. */
export interface SgmatTile {
  /** Invocations per subgroup row = workgroup x = the adapter's maximum subgroup size. */
  sgSize: number;
  /** Subgroups along M and N. */
  sgM: number;
  sgN: number;
  /** Result fragments per subgroup along M and N. */
  fm: number;
  fn: number;
  /** K slice staged per iteration (a multiple of the config's K and of 8). */
  bk: number;
}

/** Tile rows/columns, invocations and workgroup memory of a plan. */
export function sgmatTileDims(config: SubgroupMatrixConfig, t: SgmatTile) {
  const bm = t.sgM * t.fm * config.M;
  const bn = t.sgN * t.fn * config.N;
  return { bm, bn, threads: t.sgSize * t.sgM * t.sgN, storageBytes: 2 * (bm * (t.bk + 8) + t.bk * (bn + 8)) };
}

type Limits = Pick<
  GPUSupportedLimits,
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxComputeWorkgroupSizeY' | 'maxComputeWorkgroupStorageSize'
>;

/**
 * Tile for a configuration on this device, or the reason none fits. Aims at 2 x 4 subgroups, each with
 * a 64 x 32 block of C (4 x 2 fragments of 16 x 16) and K slices of 32: a 128 x 128 workgroup tile, the
 * shape that keeps the matrix units fed from workgroup memory without spilling accumulators. Shrinks
 * the subgroup grid to fit the invocation limits, then the K slice (and the tile) to fit workgroup
 * memory.
 */
export function planSgmatTile(config: SubgroupMatrixConfig, subgroupMaxSize: number, limits: Limits): SgmatTile | string {
  const sgSize = subgroupMaxSize;
  if (sgSize > limits.maxComputeWorkgroupSizeX) {
    return `the maximum subgroup size ${sgSize} exceeds maxComputeWorkgroupSizeX ${limits.maxComputeWorkgroupSizeX}`;
  }
  const lcm8 = (n: number) => (n % 8 === 0 ? n : n % 4 === 0 ? 2 * n : n % 2 === 0 ? 4 * n : 8 * n);
  const step = lcm8(config.K);
  let bk = step;
  while (bk < 32) bk *= 2;
  const t: SgmatTile = {
    sgSize,
    sgM: 2,
    sgN: 4,
    fm: Math.max(1, Math.round(64 / config.M)),
    fn: Math.max(1, Math.round(32 / config.N)),
    bk,
  };
  const fits = () => {
    const d = sgmatTileDims(config, t);
    return (
      d.threads <= limits.maxComputeInvocationsPerWorkgroup &&
      t.sgM * t.sgN <= limits.maxComputeWorkgroupSizeY &&
      d.storageBytes <= limits.maxComputeWorkgroupStorageSize
    );
  };
  while (!fits()) {
    const d = sgmatTileDims(config, t);
    const tooMany = d.threads > limits.maxComputeInvocationsPerWorkgroup || t.sgM * t.sgN > limits.maxComputeWorkgroupSizeY;
    if (tooMany && t.sgN > 1) t.sgN /= 2;
    else if (tooMany && t.sgM > 1) t.sgM /= 2;
    else if (!tooMany && (t.bk / 2) % step === 0) t.bk /= 2;
    else if (!tooMany && t.sgN > 1) t.sgN /= 2;
    else if (!tooMany && t.sgM > 1) t.sgM /= 2;
    else if (!tooMany && t.fn > 1) t.fn = Math.floor(t.fn / 2);
    else if (!tooMany && t.fm > 1) t.fm = Math.floor(t.fm / 2);
    else {
      return (
        `no tile fits: ${d.threads} invocations (max ${limits.maxComputeInvocationsPerWorkgroup}), ` +
        `${d.storageBytes} bytes of workgroup memory (max ${limits.maxComputeWorkgroupStorageSize})`
      );
    }
  }
  return t;
}

/** The kernel's WGSL for a choice and tile (template filled; SG_SIZE stays an override). */
export function sgmatWgsl(choice: SgmatChoice, t: SgmatTile): string {
  const c = choice.config;
  return fillTemplate(sgmatTemplate, {
    acc_t: choice.accumulate,
    cm: String(c.M),
    cn: String(c.N),
    ck: String(c.K),
    fm: String(t.fm),
    fn: String(t.fn),
    sg_m: String(t.sgM),
    sg_n: String(t.sgN),
    bk: String(t.bk),
  });
}

/** What the kernel needs to know about the device and adapter. */
export interface SgmatEnv {
  features: { has(name: string): boolean };
  limits: Limits;
  info: SgmatAdapterInfo | undefined;
}

export type SgmatPlan = { ok: true; choice: SgmatChoice; tile: SgmatTile } | { ok: false; reason: string };

/** Why an f16 subgroup-matrix GEMM of `shape` cannot run here (messages a user can act on), or the plan. */
export function planSgmat(env: SgmatEnv, shape: MatmulShape): SgmatPlan {
  const no = (reason: string): SgmatPlan => ({ ok: false, reason });
  if (!env.features.has(SGMAT_FEATURE)) {
    return no(
      `${SGMAT_FEATURE} not supported by this adapter: f16 subgroup-matrix GEMM skipped (Dawn offers it only with ` +
        'allow_unsafe_apis: Chrome --enable-unsafe-webgpu, Node create(["enable-dawn-features=allow_unsafe_apis"]); ' +
        'on NVIDIA Vulkan also vulkan_enable_f16_on_nvidia; D3D12 has no support)',
    );
  }
  if (!env.features.has('shader-f16')) {
    return no(
      'shader-f16 not supported by this adapter: f16 subgroup-matrix GEMM skipped (on NVIDIA Vulkan, Dawn hides it ' +
        'without the vulkan_enable_f16_on_nvidia toggle: Chrome --enable-dawn-features=vulkan_enable_f16_on_nvidia)',
    );
  }
  const configs = subgroupMatrixConfigs(env.info);
  const choice = selectSgmatConfig(configs);
  if (!choice) {
    const offered = configs.length ? configs.map(describeConfig).join(', ') : 'none';
    return no(`the adapter's subgroupMatrixConfigs offer no f16 x f16 configuration (offered: ${offered}): f16 subgroup-matrix GEMM skipped`);
  }
  const sgMax = env.info?.subgroupMaxSize;
  if (typeof sgMax !== 'number' || sgMax < 1) {
    return no('adapter info reports no subgroupMaxSize, which sizes the kernel\'s workgroup: f16 subgroup-matrix GEMM skipped');
  }
  const c = choice.config;
  const { M, N, K } = shape;
  if (M % c.M || N % c.N || K % c.K || N % 8 || K % 8) {
    return no(
      `shape ${M}x${N}x${K} is not a multiple of the subgroup-matrix configuration ${c.M}x${c.N}x${c.K} ` +
        '(M, N, K) and of 8 (N, K), which the kernel requires',
    );
  }
  const tile = planSgmatTile(c, sgMax, env.limits);
  if (typeof tile === 'string') return no(`${describeConfig(c)}: ${tile}`);
  return { ok: true, choice, tile };
}

export interface SgmatOptions {
  seed: number;
  timeoutMs: number;
  /** Adapter info with subgroupMatrixConfigs and subgroupMaxSize (default: device.adapterInfo). */
  adapterInfo?: SgmatAdapterInfo;
}

/**
 * C = A * B with f16 A and B on the matrix units: the entry point. Plans from the device's features and
 * limits and the adapter's configurations, and throws planSgmat's reason when the device cannot run it
 * (callers that want a skip ask planSgmat first). `params` record the configuration and the
 * accumulation type.
 */
export async function createMatmulSgmat(device: GPUDevice, res: Resources, shape: MatmulShape, opts: SgmatOptions): Promise<BenchKernel> {
  const info = opts.adapterInfo ?? (device as unknown as { adapterInfo?: SgmatAdapterInfo }).adapterInfo;
  const plan = planSgmat({ features: device.features, limits: device.limits, info }, shape);
  if (!plan.ok) throw new Error(plan.reason);
  return buildMatmulSgmat(device, res, shape, plan, opts);
}

/**
 * The kernel for an explicit choice and tile (an autotuner may try other tiles than planSgmatTile's).
 * Checks nothing about the device; `code` replaces the generated WGSL (tests run a software emulation of
 * subgroup matrices through the same host code and check).
 */
export async function buildMatmulSgmat(
  device: GPUDevice,
  res: Resources,
  shape: MatmulShape,
  plan: { choice: SgmatChoice; tile: SgmatTile },
  opts: {
    seed: number;
    timeoutMs: number;
    /** Above this many multiply-adds the check samples outputs (default 2^26). */
    fullCheckMacs?: number;
  },
  code = sgmatWgsl(plan.choice, plan.tile),
): Promise<BenchKernel> {
  const { choice, tile } = plan;
  const { M, N, K } = shape;
  const { bm, bn } = sgmatTileDims(choice.config, tile);
  const label = 'matmul_subgroup_matrix';
  const pipeline = await getPipeline(device, { label, code, constants: { SG_SIZE: tile.sgSize } });
  const seedA = opts.seed;
  const seedB = opts.seed + 1;
  const outBytes = choice.accumulate === 'f32' ? 4 : 2;
  const A = createBuffer(device, res, `${label}.A`, M * K * 2);
  const B = createBuffer(device, res, `${label}.B`, K * N * 2);
  const C = createBuffer(device, res, `${label}.C`, M * N * outBytes);
  const uniform = createUniform(device, res, `${label}.dims`, new Uint32Array([M, N, K, 0]).buffer);
  await fillHashF16(device, res, A, M * K, seedA);
  await fillHashF16(device, res, B, K * N, seedB);
  const work = gridWork(device, label, pipeline, [A, B, C, uniform], Math.ceil(N / bn), Math.ceil(M / bm));
  const threshold = sgmatThreshold(choice.accumulate, K);
  const c = choice.config;
  return {
    label,
    params: {
      M,
      N,
      K,
      precision: 'f16',
      config: `${c.M}x${c.N}x${c.K}`,
      accumulate: choice.accumulate,
      tile: `${bm}x${bn}x${tile.bk}`,
      subgroups: `${tile.sgM}x${tile.sgN}x${tile.sgSize}`,
    },
    work,
    amount: { flops: 2 * M * N * K, bytes: 2 * (M * K + K * N) + outBytes * M * N },
    async verify(w = work): Promise<Verification> {
      // f32: NaN; f16: a word of two f16 NaNs, written through its f32 bit pattern (a normal number).
      const poison = choice.accumulate === 'f32' ? NaN : new Float32Array(new Uint32Array([F16_NAN_PAIR]).buffer)[0] as number;
      await fillConst(device, res, C, (M * N * outBytes) / 4, poison);
      runOnce(device, w);
      // Large outputs are streamed: every element is checked for poison, only the sampled ones are kept.
      const full = M * N * K <= (opts.fullCheckMacs ?? FULL_CHECK_MACS);
      const got = full ? new Float32Array(M * N) : null;
      const picks: number[] = [];
      if (!full) picks.push(...matmulSamplePicks(M, N, SAMPLED_OUTPUTS, opts.seed));
      const picked: number[] = [];
      let unwritten = 0;
      await readBufferChunks(device, C, M * N * outBytes, 16 << 20, opts.timeoutMs, (chunk, off) => {
        const first = off / outBytes;
        const values = outBytes === 4 ? new Float32Array(chunk) : Float32Array.from(new Uint16Array(chunk), f16FromBits);
        for (const v of values) if (!Number.isFinite(v)) unwritten++;
        if (got) got.set(values, first);
        while (picked.length < picks.length && (picks[picked.length] as number) < first + values.length) {
          picked.push(values[(picks[picked.length] as number) - first] as number);
        }
      });
      let err: number;
      let how: string;
      if (got) {
        // The f16 operands are exact in f32, so the f32 reference's float64 sums apply unchanged.
        const a = new Float32Array(M * K).map((_, i) => hashValueF16(seedA, i));
        const b = new Float32Array(K * N).map((_, i) => hashValueF16(seedB, i));
        err = relativeL2(got, matmulRef(shape, a, b));
        how = 'all outputs';
      } else {
        const op = sgmatOperands(shape, seedA, seedB);
        err = relativeL2(
          picked,
          picks.map((p) => sgmatRefAt(shape, op, Math.floor(p / N), p % N)),
        );
        how = `${picks.length} sampled outputs (incl. last row/column); every output checked for poison`;
      }
      const checked = got ? M * N : picks.length;
      const ok = unwritten === 0 && err <= threshold;
      return {
        state: ok ? 'passed' : 'failed',
        method:
          `relative L2 error vs float64 CPU reference on the f16 inputs (${how}); ` +
          `${describeConfig(c)}, ${choice.accumulate} accumulation`,
        error: Number.isFinite(err) ? err : -1,
        threshold,
        checked,
        ...(unwritten ? { detail: `${unwritten} outputs not written (poison NaN survived)` } : {}),
      };
    },
  };
}
