import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { create } from 'webgpu';
import { Resources, createBuffer } from '../../src/gpu/buffers';
import { feasible } from '../../src/core/variant';
import { LINEAR_F16_INPUT_THRESHOLD, LINEAR_REL_L2_THRESHOLD, type LinearCase, describeLinearCase, linearThreshold, verifyLinear } from '../../src/kernels/linear/check';
import type { LinearBuildOptions } from '../../src/kernels/linear/config';
import { createLinear } from '../../src/kernels/linear/linear';
import { LINEAR_CANDIDATES, type SgmatLinearParams, linearVariant, linearVariantId, linearVariants, planSgmatLinear } from '../../src/kernels/linear/variants';
import { linearSgmatWgsl } from '../../src/kernels/linear/wgsl';
import { SGMAT_FEATURE, type SgmatEnv, type SubgroupMatrixConfig } from '../../src/kernels/matmul/sgmat-plan';
import { KBLOCK, WEIGHT_FORMATS, type WeightFormat, allocTensor, colsMultiple } from '../../src/core/tensor';
import { TIMEOUT_MS, sharedDevice } from './helpers';
import { EMU_F16X4, emulateSubgroupMatrices } from './sgmat-emulation';

/**
 * The sgmat linear (shaders/linear_sgmat.wgsl) needs matrix units neither SwiftShader nor CI has. What
 * is checked here: its own WGSL run on SwiftShader with subgroup matrices emulated in software (f16
 * rounding of the staged x and W emulated too, so the f16 threshold is met for the right reason) through
 * createLinear, bind and the fixture check, for every format and fusion on edge shapes, and that broken
 * kernels fail that threshold; on Dawn's null backend (which offers the feature but runs nothing), that
 * the real WGSL compiles and makes a pipeline for each configuration, format and mode; and that plain
 * SwiftShader refuses the variant with a reason (so the tuner never picks it there).
 */

const { device } = sharedDevice();

const cfg = (resultComponentType: string, M: number, N: number, K: number): SubgroupMatrixConfig => ({ componentType: 'f16', resultComponentType, M, N, K });
/** NVIDIA's f16 configurations (../shared/device/README.md). */
const NVIDIA = [cfg('f32', 16, 16, 16), cfg('f16', 16, 16, 16), cfg('f32', 16, 8, 16), cfg('f16', 16, 8, 16), cfg('f32', 16, 8, 8)];
const SGMAT = LINEAR_CANDIDATES.filter((v): v is SgmatLinearParams => v.kind === 'sgmat');

/** linear_sgmat.wgsl's f16 arrays and conversions, as f32 with f16 rounding (SwiftShader has no f16). */
function emulated(code: string): string {
  return emulateSubgroupMatrices(
    code,
    [
      ['var<workgroup> Xs: array<f16, BM * XS>;', 'var<workgroup> Xs: array<f32, BM * XS>;'],
      ['var<workgroup> Ws: array<f16, BN * XS>;', 'var<workgroup> Ws: array<f32, BN * XS>;'],
      [/vec4<f16>\(/g, 'emu_f16x4('],
    ],
    EMU_F16X4,
  );
}

/**
 * A small tile for the emulation (every invocation does whole 8x8x8 products): 16 tokens x 32 rows,
 * 2 x 2 subgroups of 4 invocations, 1 x 2 fragments each, K slices of 48 (so K = 104 and 160 have tails).
 */
const EMU_VARIANT: SgmatLinearParams = { kind: 'sgmat', bm: 16, bn: 32, sgM: 2, sgN: 2, bk: 48 };

function emuBuild(config = cfg('f32', 8, 8, 8), mutate: (code: string) => string = (c) => c): LinearBuildOptions {
  const d = device();
  const sgmatEnv: SgmatEnv = {
    features: new Set([SGMAT_FEATURE, 'shader-f16']),
    limits: d.limits,
    info: { subgroupMaxSize: 4, subgroupMatrixConfigs: [config] },
  };
  return { sgmatEnv, sgmatCode: (code) => emulated(mutate(code)) };
}

/**
 * K with a tail after the last full slice of 48, per format (q8_0 and q4_0 need multiples of 32, the
 * k-quants of 256: 256 = 5 x 48 + 16).
 */
const kTail = (f: WeightFormat) => (f === 'f32' || f === 'f16' ? 104 : colsMultiple(f) === KBLOCK ? 256 : 160);
/** K a multiple of the slice (and of a k-quant's block). */
const kWhole = (f: WeightFormat) => (f === 'f32' || f === 'f16' ? 96 : colsMultiple(f) === KBLOCK ? 768 : 192);

// Tokens 9 (one partial token tile) and 70 (five tiles, the last partial); N not a multiple of 32.
const MODES: Array<{ mode: string; shape: (f: WeightFormat) => Omit<LinearCase, 'format'> }> = [
  { mode: 'plain', shape: (f) => ({ K: kTail(f), N: 70, rows: 9, bias: false, residual: false, parts: 1 }) },
  { mode: 'bias', shape: (f) => ({ K: kTail(f), N: 37, rows: 70, bias: true, residual: false, parts: 1 }) },
  { mode: 'residual', shape: (f) => ({ K: kWhole(f), N: 37, rows: 9, bias: false, residual: true, parts: 1 }) },
  { mode: 'norm+bias, 3 parts', shape: (f) => ({ K: kTail(f), N: 70, rows: 70, bias: true, residual: false, parts: 3, norm: { eps: 0.25 } }) },
  { mode: 'norm+swiglu, 3 parts', shape: (f) => ({ K: kTail(f), N: 134, rows: 9, bias: false, residual: false, parts: 3, norm: { eps: 1e-5 }, swiglu: true }) },
];

const limits32k = (l: GPUSupportedLimits) => ({
  maxComputeInvocationsPerWorkgroup: Math.max(256, l.maxComputeInvocationsPerWorkgroup),
  maxComputeWorkgroupSizeX: Math.max(256, l.maxComputeWorkgroupSizeX),
  maxComputeWorkgroupSizeY: Math.max(256, l.maxComputeWorkgroupSizeY),
  maxComputeWorkgroupStorageSize: 32768,
});

const withVariant = (c: Omit<LinearCase, 'variants' | 'tiles'>, v: SgmatLinearParams): LinearCase => ({ ...c, variants: { 8: v }, tiles: [8] });

describe('on SwiftShader, with subgroup matrices emulated: staging, fusions, edges and the f16 check', () => {
  const cases = WEIGHT_FORMATS.flatMap((format) =>
    MODES.map(({ mode, shape }) => {
      const c = withVariant({ format, ...shape(format) }, EMU_VARIANT);
      return { name: `${mode}: ${describeLinearCase(c)}`, c };
    }),
  );
  test.each(cases)('$name', async ({ c }) => {
    const v = await verifyLinear(device(), c, TIMEOUT_MS, { build: emuBuild() });
    expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
    expect(v.threshold).toBe(LINEAR_F16_INPUT_THRESHOLD);
    // The f16 rounding is really there (the f32 threshold would fail), and well inside its bound.
    expect(v.error).toBeGreaterThan(LINEAR_REL_L2_THRESHOLD);
    expect(v.error).toBeLessThan(LINEAR_F16_INPUT_THRESHOLD / 2);
  });

  const v16: SgmatLinearParams = { kind: 'sgmat', bm: 32, bn: 16, sgM: 2, sgN: 1, bk: 32 };
  test.each([
    withVariant({ format: 'f16', K: 104, N: 37, rows: 33, bias: true, residual: false, parts: 1 }, v16),
    withVariant({ format: 'q4_0', K: 96, N: 70, rows: 9, bias: false, residual: false, parts: 3, norm: { eps: 1e-5 }, swiglu: true }, v16),
  ].map((c) => ({ name: describeLinearCase(c), c })))('another fragment shape (16 x 8 x 16, f32 accumulate): $name', async ({ c }) => {
    const v = await verifyLinear(device(), c, TIMEOUT_MS, { build: emuBuild(cfg('f32', 16, 8, 16)) });
    expect(v.state, `${describeLinearCase(c)}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
    expect(v.threshold).toBe(LINEAR_F16_INPUT_THRESHOLD);
  });

  const c = withVariant({ format: 'q8_0', ...MODES[3]!.shape('q8_0') }, EMU_VARIANT);
  const loop = 'for (var k0 = 0u; k0 < K; k0 += BK) {';
  test.each([
    { name: 'the first K slice skipped', mutate: (s: string) => s.replace(loop, 'for (var k0 = BK; k0 < K; k0 += BK) {') },
    { name: 'the K tail skipped', mutate: (s: string) => s.replace(loop, 'for (var k0 = 0u; k0 + BK <= K; k0 += BK) {') },
    { name: 'the norm weights not folded in', mutate: (s: string) => s.replace('w = W8(w.lo * nw.lo, w.hi * nw.hi);', '') },
  ])('a broken kernel fails the f16 threshold: $name', async ({ mutate }) => {
    const mutated = (s: string) => {
      const out = mutate(s);
      if (out === s) throw new Error('mutation did not apply');
      return out;
    };
    const v = await verifyLinear(device(), c, TIMEOUT_MS, { build: emuBuild(undefined, mutated) });
    expect(v.state).toBe('failed');
    expect(v.error).toBeGreaterThan(20 * LINEAR_F16_INPUT_THRESHOLD);
  });
});

describe('on plain SwiftShader the variant is refused with a reason', () => {
  test.each(SGMAT.map((v) => ({ id: linearVariantId(v), v })))('$id', async ({ v }) => {
    const d = device();
    expect(d.features.has(SGMAT_FEATURE)).toBe(false);
    expect(linearVariant({}, 8, v).problem(d)).toMatch(/^chromium-experimental-subgroup-matrix not supported by this adapter/);
    expect(linearVariant({}, 4, v).problem(d)).toMatch(/token tile 8 only/);
    expect(linearVariants({ norm: { eps: 0 } }, 8).some((x) => x.params.kind === 'sgmat')).toBe(true);
    expect(feasible(linearVariants({ norm: { eps: 0 } }, 8), d).some((x) => x.params.kind === 'sgmat')).toBe(false);
    const c = withVariant({ format: 'f16', K: 64, N: 32, rows: 16, bias: false, residual: false, parts: 1 }, v);
    await expect(createLinear(d, c)).rejects.toThrow(/not supported by this adapter/);
  });
});

describe('planning from the adapter (pure)', () => {
  const limits = { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupSizeY: 1024, maxComputeWorkgroupStorageSize: 32768 };
  const env = (configs: SubgroupMatrixConfig[], lim: Partial<typeof limits> = {}, subgroupMaxSize = 32): SgmatEnv => ({
    features: new Set([SGMAT_FEATURE, 'shader-f16']),
    limits: { ...limits, ...lim } as GPUSupportedLimits,
    info: { ...(subgroupMaxSize ? { subgroupMaxSize } : {}), subgroupMatrixConfigs: configs },
  });
  const big = SGMAT[0]!;

  test('NVIDIA: f32 accumulation, the largest fragment; ids record f16 operands and the threshold is f16', () => {
    const plan = planSgmatLinear(env(NVIDIA), big);
    expect(plan).toMatchObject({ config: { M: 16, N: 16, K: 16, resultComponentType: 'f32' }, sgSize: 32, fm: 4, fn: 2 });
    expect(linearVariantId(big)).toBe('sgmat.f16.128x128.k32.s2x4');
    expect(linearThreshold(big)).toBe(LINEAR_F16_INPUT_THRESHOLD);
    expect(linearThreshold(LINEAR_CANDIDATES[0]!)).toBe(LINEAR_REL_L2_THRESHOLD);
  });
  test('only f16 accumulation: skipped', () => {
    expect(planSgmatLinear(env([cfg('f16', 16, 16, 16)]), big)).toMatch(/only in f16/);
  });
  test('no configuration, no subgroup size, too little memory or too few threads: refused', () => {
    expect(planSgmatLinear(env([]), big)).toMatch(/offered: none/);
    expect(planSgmatLinear(env(NVIDIA, {}, 0), big)).toMatch(/subgroupMaxSize/);
    expect(planSgmatLinear(env(NVIDIA, { maxComputeWorkgroupStorageSize: 16384 }), big)).toMatch(/B of workgroup memory > maxComputeWorkgroupStorageSize 16384/);
    expect(planSgmatLinear(env(NVIDIA, { maxComputeWorkgroupStorageSize: 16384 }), SGMAT[1]!)).not.toBeTypeOf('string');
    expect(planSgmatLinear(env(NVIDIA, { maxComputeInvocationsPerWorkgroup: 128 }), big)).toMatch(/exceeds/);
    expect(planSgmatLinear({ ...env(NVIDIA), features: new Set([SGMAT_FEATURE]) }, big)).toMatch(/shader-f16/);
  });
});

describe("on Dawn's null backend (validation only: nothing executes)", () => {
  // Held for the whole describe: once the GPU object (the Dawn instance) is garbage-collected, Dawn
  // aborts the process (std::system_error) at a random later point.
  let gpu: GPU | undefined;
  let nullDevice: GPUDevice | undefined;
  beforeAll(async () => {
    gpu = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']) as unknown as GPU;
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error("Dawn's null backend offered no adapter");
    const l = adapter.limits;
    nullDevice = await adapter.requestDevice({
      requiredFeatures: [SGMAT_FEATURE, 'shader-f16'] as GPUFeatureName[],
      requiredLimits: {
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      },
    });
  });
  afterAll(() => {
    nullDevice?.destroy();
    gpu = undefined;
  });

  // The null adapter reports no configurations, and a maximum subgroup size of 128 that the pipeline's
  // workgroup x must be a multiple of.
  const nullEnv = (config: SubgroupMatrixConfig): SgmatEnv => {
    const d = nullDevice as GPUDevice;
    const sgMax = (d as unknown as { adapterInfo?: { subgroupMaxSize?: number } }).adapterInfo?.subgroupMaxSize ?? 0;
    return { features: d.features, limits: d.limits, info: { subgroupMaxSize: sgMax, subgroupMatrixConfigs: [config] } };
  };
  /** Fits the null device's limits with 128-wide subgroups (256 invocations, < 16 KiB). */
  const NULL_VARIANT: SgmatLinearParams = { kind: 'sgmat', bm: 64, bn: 64, sgM: 2, sgN: 1, bk: 32 };
  const configs = NVIDIA.filter((c) => c.resultComponentType === 'f32');
  const combos = configs.flatMap((config) =>
    WEIGHT_FORMATS.map((format) => ({ name: `f16 ${config.M}x${config.N}x${config.K} -> f32, ${format}`, config, format })),
  );
  test.each(combos)('$name: every candidate compiles in every mode; a tile within the null limits builds, binds and encodes', async ({ config, format }) => {
    const d = nullDevice as GPUDevice;
    const env = nullEnv(config);
    // The candidates as planned on NVIDIA (32-wide subgroups, 32 KiB of workgroup memory): compiled only.
    const nvidia: SgmatEnv = {
      ...env,
      limits: { ...limits32k(d.limits) } as GPUSupportedLimits,
      info: { subgroupMaxSize: 32, subgroupMatrixConfigs: [config] },
    };
    const res = new Resources();
    let built = 0;
    d.pushErrorScope('validation');
    let thrown: unknown = null;
    try {
      for (const v of [...SGMAT, NULL_VARIANT]) {
        const fits = v === NULL_VARIANT;
        const plan = planSgmatLinear(fits ? env : nvidia, v);
        if (typeof plan === 'string') throw new Error(`${linearVariantId(v)}: ${plan}`);
        for (const { mode, shape } of MODES) {
          const c = withVariant({ format, ...shape(format) }, v);
          const code = linearSgmatWgsl(c, v, plan);
          const info = await d.createShaderModule({ code }).getCompilationInfo();
          expect(info.messages.map((m) => `${mode}: ${m.type} ${m.lineNum}:${m.linePos} ${m.message}`)).toEqual([]);
          if (!fits) continue;
          const layer = await createLinear(d, c, { sgmatEnv: env });
          const w = allocTensor(d, res, 'test.w', format, c.N, c.K, d.limits.maxStorageBufferBindingSize, c.swiglu ? 2 : 1);
          const out = c.swiglu ? c.N / 2 : c.N;
          const op = layer.bind(
            {
              x: createBuffer(d, res, 'test.x', c.rows * c.K * 4),
              y: createBuffer(d, res, 'test.y', c.rows * out * 4),
              w,
              rows: c.rows,
              ...(c.bias ? { bias: createBuffer(d, res, 'test.bias', c.N * 4) } : {}),
              ...(c.norm ? { norm: createBuffer(d, res, 'test.norm', c.K * 4) } : {}),
            },
            res,
          );
          const enc = d.createCommandEncoder();
          const pass = enc.beginComputePass();
          op.encode(pass);
          pass.end();
          d.queue.submit([enc.finish()]);
          built++;
        }
      }
    } catch (e) {
      thrown = e;
    } finally {
      res.destroyAll();
    }
    const gpuError = await d.popErrorScope();
    if (thrown) throw thrown;
    expect(gpuError).toBeNull();
    expect(built).toBeGreaterThanOrEqual(MODES.length);
  });
});
