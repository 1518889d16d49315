import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { create } from 'webgpu';
import { Resources, createBuffer, readBuffer } from '../../src/gpu/buffers';
import { getPipeline } from '../../src/gpu/wgsl';
import { fillHashF16 } from '../../src/core/fill';
import { SGMAT_FEATURE, type SgmatChoice, type SgmatTile, type SubgroupMatrixConfig, planSgmatTile, sgmatMatmulVariant } from '../../src/kernels/matmul/sgmat-plan';
import { buildMatmulSgmat, createMatmulSgmat, sgmatWgsl } from '../../src/kernels/matmul/sgmat';
import { hashValueF16 } from '../../src/kernels/matmul/sgmat.ref';
import { f16FromBits } from '../../src/core/numeric';
import { TIMEOUT_MS, sharedDevice } from './helpers';
import { emulateSubgroupMatrices } from './sgmat-emulation';

/**
 * The kernel itself needs matrix units that neither SwiftShader nor CI has. What can be checked here:
 * its operand generator on SwiftShader; the skip reason SwiftShader gets; its tiling, staging, edges and
 * host-side check, by running the very shader text on SwiftShader with subgroup matrices emulated in
 * software (below); and, on Dawn's null backend (which offers the subgroup-matrix feature and
 * shader-f16 but runs nothing), that the real WGSL of every configuration parses, resolves and makes a
 * pipeline with its overrides applied.
 */

const { device, withRes } = sharedDevice();

describe('on SwiftShader', () => {
  test.each([{ count: 1 }, { count: 2 }, { count: 1001 }, { count: 70000 }])('fill_hash_f16 matches hashValueF16 bit for bit ($count elements)', async ({ count }) => {
    await withRes(async (dev, res) => {
      const words = Math.ceil(count / 2);
      const buf = createBuffer(dev, res, 'test.f16', words * 4);
      await fillHashF16(dev, res, buf, count, 1234);
      const bits = new Uint16Array(await readBuffer(dev, buf, TIMEOUT_MS, 0, words * 4));
      // f16FromBits is exact and every value is an exact f16, so equal numbers mean equal bits.
      const got = Array.from(bits, f16FromBits);
      const want = Array.from({ length: words * 2 }, (_, i) => (i < count ? hashValueF16(1234, i) : 0));
      expect(got).toEqual(want);
    });
  });

  test('the GEMM reports why it cannot run (the suite records this as the skip reason)', async () => {
    const d = device();
    expect(d.features.has(SGMAT_FEATURE)).toBe(false);
    expect(sgmatMatmulVariant({ M: 64, N: 64, K: 64 }).problem(d)).toMatch(/^chromium-experimental-subgroup-matrix not supported by this adapter/);
    await withRes(async (dev, res) => {
      await expect(createMatmulSgmat(dev, res, { M: 64, N: 64, K: 64 }, { seed: 1, timeoutMs: TIMEOUT_MS })).rejects.toThrow(/not supported by this adapter/);
    });
  });
});

const cfg = (resultComponentType: string, M: number, N: number, K: number): SubgroupMatrixConfig => ({ componentType: 'f16', resultComponentType, M, N, K });
/** NVIDIA's f16 configurations (../shared/device/README.md) and Metal's. */
const CONFIGS = [cfg('f32', 16, 16, 16), cfg('f16', 16, 16, 16), cfg('f32', 16, 8, 16), cfg('f16', 16, 8, 16), cfg('f32', 16, 8, 8), cfg('f16', 8, 8, 8)];


/** shaders/matmul_subgroup_matrix.wgsl with subgroup matrices emulated in software (./sgmat-emulation.ts). */
function emulated(code: string): string {
  return emulateSubgroupMatrices(code, [
    ['var<workgroup> As: array<f16, BM * AS>;', 'var<workgroup> As: array<f32, BM * AS>;'],
    ['var<workgroup> Bs: array<f16, BK * BS>;', 'var<workgroup> Bs: array<f32, BK * BS>;'],
    [/bitcast<vec2<f16>>\(/g, 'unpack2x16float('],
  ]);
}

describe('on SwiftShader, with subgroup matrices emulated: tiling, staging, edges and the check', () => {
  test.each([
    { cm: 8, cn: 8, ck: 8, M: 48, N: 40, K: 24 },
    { cm: 16, cn: 8, ck: 16, M: 80, N: 56, K: 48 },
    { cm: 16, cn: 16, ck: 16, M: 64, N: 64, K: 32 }, // one whole tile: every subgroup stores
    { cm: 8, cn: 16, ck: 8, M: 16, N: 16, K: 8 },
  ])('f16 $cm x $cn x $ck, shape $M x $N x $K', async ({ cm, cn, ck, M, N, K }) => {
    await withRes(async (dev, res) => {
      const choice: SgmatChoice = { config: cfg('f32', cm, cn, ck), accumulate: 'f32' };
      // 2 x 2 subgroups of 4 with 2 x 2 fragments each, K slices of 2 config steps: partial tiles in M,
      // N and K for the shapes above, and more than one subgroup row and column.
      const tile: SgmatTile = { sgSize: 4, sgM: 2, sgN: 2, fm: 2, fn: 2, bk: 2 * ck };
      const mm = await buildMatmulSgmat(dev, res, { M, N, K }, { choice, tile }, { seed: 11, timeoutMs: TIMEOUT_MS }, emulated(sgmatWgsl(choice, tile)));
      const v = await mm.check();
      expect(v.state, `${v.method} error=${v.error} ${v.detail ?? ''}`).toBe('passed');
      expect(v.checked).toBe(M * N);
      expect(v.error).toBeLessThan(1e-6);
      // The check catches what it must: poisoned (unwritten) outputs fail.
      const skipped = await mm.check({ label: 'nothing', encode: () => {} });
      expect(skipped.state).toBe('failed');
      expect(skipped.detail).toMatch(/not written/);
    });
  });

  test('large shapes are checked on sampled outputs (streamed), and poison anywhere still fails', async () => {
    await withRes(async (dev, res) => {
      const choice: SgmatChoice = { config: cfg('f32', 8, 8, 8), accumulate: 'f32' };
      const tile: SgmatTile = { sgSize: 4, sgM: 2, sgN: 2, fm: 2, fn: 2, bk: 16 };
      const shape = { M: 48, N: 40, K: 24 };
      const opts = { seed: 5, timeoutMs: TIMEOUT_MS, fullCheckMacs: 0 };
      const mm = await buildMatmulSgmat(dev, res, shape, { choice, tile }, opts, emulated(sgmatWgsl(choice, tile)));
      const v = await mm.check();
      expect(v.state, `${v.method} error=${v.error}`).toBe('passed');
      expect(v.method).toMatch(/sampled/);
      expect(v.checked).toBeGreaterThan(768);
      expect(v.checked).toBeLessThan(shape.M * shape.N);
      const skipped = await mm.check({ label: 'nothing', encode: () => {} });
      expect(skipped.state).toBe('failed');
      expect(skipped.detail).toMatch(/1920 outputs not written/);
    });
  });
});

describe("on Dawn's null backend (validation only: nothing executes)", () => {
  // Held for the whole describe: a garbage-collected Dawn instance aborts the process later.
  let gpu: GPU | undefined;
  let nullDevice: GPUDevice | undefined;
  let subgroupMaxSize = 0;
  beforeAll(async () => {
    gpu = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']) as unknown as GPU;
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error("Dawn's null backend offered no adapter");
    const limits = adapter.limits;
    subgroupMaxSize = (adapter.info as { subgroupMaxSize?: number }).subgroupMaxSize ?? 0;
    nullDevice = await adapter.requestDevice({
      requiredFeatures: [SGMAT_FEATURE, 'shader-f16', 'subgroups'] as GPUFeatureName[],
      requiredLimits: {
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: limits.maxComputeWorkgroupSizeY,
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      },
    });
  });
  afterAll(() => {
    nullDevice?.destroy();
    gpu = undefined;
  });

  test.each(CONFIGS.map((c) => ({ ...c, name: `f16 ${c.M}x${c.N}x${c.K} -> ${c.resultComponentType}` })))('$name: the WGSL compiles without a message and makes a pipeline', async (c) => {
    const dev = nullDevice as GPUDevice;
    const tile = planSgmatTile(c, subgroupMaxSize, dev.limits);
    if (typeof tile === 'string') throw new Error(tile);
    const code = sgmatWgsl({ config: c, accumulate: c.resultComponentType as 'f32' | 'f16' }, tile);
    const info = await dev.createShaderModule({ code }).getCompilationInfo();
    expect(info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`)).toEqual([]);
    dev.pushErrorScope('validation');
    const pipeline = await getPipeline(dev, { label: 'matmul_subgroup_matrix', code, constants: { SG_SIZE: tile.sgSize } });
    expect(pipeline.getBindGroupLayout(0)).toBeTruthy();
    expect(await dev.popErrorScope()).toBeNull();
  });

  test('the kernel builds, binds and encodes for a planned shape (f32 accumulation)', async () => {
    const dev = nullDevice as GPUDevice;
    const res = new Resources();
    dev.pushErrorScope('validation');
    try {
      const adapterInfo = { subgroupMaxSize, subgroupMatrixConfigs: CONFIGS };
      const mm = await createMatmulSgmat(dev, res, { M: 80, N: 144, K: 112 }, { seed: 3, timeoutMs: TIMEOUT_MS, adapterInfo });
      expect(mm.params).toMatchObject({ config: '16x16x16', accumulate: 'f32', precision: 'f16' });
      expect(mm.cost(0).flops).toBe(2 * 80 * 144 * 112);
      const enc = dev.createCommandEncoder();
      const pass = enc.beginComputePass();
      mm.encode(pass);
      pass.end();
      dev.queue.submit([enc.finish()]);
    } finally {
      res.destroyAll();
    }
    expect(await dev.popErrorScope()).toBeNull();
  });
});
