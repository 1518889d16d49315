/**
 * Planning the f16 GEMMs on the matrix units (tensor cores) through Dawn's
 * `chromium-experimental-subgroup-matrix`: the adapter's `subgroupMatrixConfigs` give the fragment shape
 * and accumulator type, the device's limits the tile. Everything here is pure, so the suite can record
 * a precise skip reason and tests can plan for adapters they do not have.
 */
import type { Variant } from '../../core/variant';
import type { MatmulShape } from './matmul.ref';

/** The WebGPU feature (Dawn, experimental) that exposes subgroup matrices. */
export const SGMAT_FEATURE = 'chromium-experimental-subgroup-matrix';


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

/** Workgroup shape of the kernel; see the layout comment in shaders/matmul/subgroup_matrix.wgsl. */
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

/** What the kernel needs to know about the device and adapter. */
export interface SgmatEnv {
  features: { has(name: string): boolean };
  limits: Limits;
  info: SgmatAdapterInfo | undefined;
}

/** How the f16 GEMM runs on a device: the configuration it is built for and its tile. */
export interface SgmatPlan {
  choice: SgmatChoice;
  tile: SgmatTile;
}

/** The device, its adapter's subgroup-matrix information (device.adapterInfo in Dawn and Chrome, unless `info` is given). */
export function sgmatEnvOf(device: GPUDevice, info?: SgmatAdapterInfo): SgmatEnv {
  return {
    features: device.features,
    limits: device.limits,
    info: info ?? (device as unknown as { adapterInfo?: SgmatAdapterInfo }).adapterInfo,
  };
}

/**
 * The plan of an f16 subgroup-matrix GEMM of `shape` on `env`, or why it cannot run there (messages a
 * user can act on).
 */
export function planSgmat(env: SgmatEnv, shape: MatmulShape): SgmatPlan | string {
  if (!env.features.has(SGMAT_FEATURE)) {
    return (
      `${SGMAT_FEATURE} not supported by this adapter: f16 subgroup-matrix GEMM skipped (Dawn offers it only with ` +
      'allow_unsafe_apis: Chrome --enable-unsafe-webgpu, Node create(["enable-dawn-features=allow_unsafe_apis"]); ' +
      'on NVIDIA Vulkan also vulkan_enable_f16_on_nvidia; D3D12 has no support)'
    );
  }
  if (!env.features.has('shader-f16')) {
    return (
      'shader-f16 not supported by this adapter: f16 subgroup-matrix GEMM skipped (on NVIDIA Vulkan, Dawn hides it ' +
      'without the vulkan_enable_f16_on_nvidia toggle: Chrome --enable-dawn-features=vulkan_enable_f16_on_nvidia)'
    );
  }
  const configs = subgroupMatrixConfigs(env.info);
  const choice = selectSgmatConfig(configs);
  if (!choice) {
    const offered = configs.length ? configs.map(describeConfig).join(', ') : 'none';
    return `the adapter's subgroupMatrixConfigs offer no f16 x f16 configuration (offered: ${offered}): f16 subgroup-matrix GEMM skipped`;
  }
  const sgMax = env.info?.subgroupMaxSize;
  if (typeof sgMax !== 'number' || sgMax < 1) {
    return "adapter info reports no subgroupMaxSize, which sizes the kernel's workgroup: f16 subgroup-matrix GEMM skipped";
  }
  const c = choice.config;
  const { M, N, K } = shape;
  if (M % c.M || N % c.N || K % c.K || N % 8 || K % 8) {
    return (
      `shape ${M}x${N}x${K} is not a multiple of the subgroup-matrix configuration ${c.M}x${c.N}x${c.K} ` +
      '(M, N, K) and of 8 (N, K), which the kernel requires'
    );
  }
  const tile = planSgmatTile(c, sgMax, env.limits);
  if (typeof tile === 'string') return `${describeConfig(c)}: ${tile}`;
  return { choice, tile };
}

/**
 * The f16 subgroup-matrix GEMM of `shape` as a variant: one per shape, planned on the device it runs on
 * (configuration from the adapter, tile from the limits); `info` replaces the adapter info it is planned
 * from (the runner passes GPUAdapter.info).
 */
export function sgmatMatmulVariant(shape: MatmulShape, info?: SgmatAdapterInfo): Variant<MatmulShape> {
  return {
    id: 'sgmat.f16',
    params: shape,
    problem(device) {
      const plan = planSgmat(sgmatEnvOf(device, info), shape);
      return typeof plan === 'string' ? plan : undefined;
    },
  };
}
