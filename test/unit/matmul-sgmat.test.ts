import { describe, expect, test } from 'vitest';
import {
  SGMAT_FEATURE,
  type SgmatEnv,
  type SubgroupMatrixConfig,
  planSgmat,
  planSgmatTile,
  selectSgmatConfig,
  sgmatMatmulVariant,
  sgmatTileDims,
  subgroupMatrixConfigs,
} from '../../src/kernels/matmul/sgmat-plan';
import { sgmatWgsl } from '../../src/kernels/matmul/sgmat';
import { hashValueF16, sgmatThreshold } from '../../src/kernels/matmul/sgmat.ref';
import { f16FromBits, f16round } from '../../src/core/numeric';

const cfg = (componentType: string, resultComponentType: string, M: number, N: number, K: number): SubgroupMatrixConfig => ({
  componentType,
  resultComponentType,
  M,
  N,
  K,
});

/** What Dawn reports on an NVIDIA H200 (Vulkan, vulkan_enable_f16_on_nvidia): see ../shared/device/README.md. */
const NVIDIA = [
  cfg('f16', 'f16', 16, 16, 16),
  cfg('f16', 'f32', 16, 16, 16),
  cfg('f16', 'f16', 16, 8, 16),
  cfg('f16', 'f32', 16, 8, 16),
  cfg('f16', 'f16', 16, 8, 8),
  cfg('f16', 'f32', 16, 8, 8),
  cfg('u8', 'u32', 16, 16, 32),
  cfg('i8', 'i32', 16, 16, 32),
];
/** Dawn's fixed list on Metal (Apple7+). */
const METAL = [cfg('f32', 'f32', 8, 8, 8), cfg('f16', 'f16', 8, 8, 8)];

const LIMITS = {
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupSizeY: 1024,
  maxComputeWorkgroupStorageSize: 32768,
};

function env(features: string[], configs: SubgroupMatrixConfig[], subgroupMaxSize = 32, limits = LIMITS): SgmatEnv {
  const set = new Set(features);
  return { features: { has: (f) => set.has(f) }, limits, info: { subgroupMaxSize, subgroupMatrixConfigs: configs } };
}

const ALL = [SGMAT_FEATURE, 'shader-f16', 'subgroups'];

describe('subgroup-matrix configuration choice', () => {
  test.each([
    { name: 'NVIDIA: f16 16x16x16 accumulating in f32', configs: NVIDIA, want: '16x16x16 f32' },
    { name: 'Metal: f16 8x8x8, only f16 accumulation offered', configs: METAL, want: '8x8x8 f16' },
    { name: 'f32 accumulation wins over a bigger f16 one', configs: [cfg('f16', 'f16', 16, 16, 16), cfg('f16', 'f32', 16, 8, 8)], want: '16x8x8 f32' },
    { name: 'equal work: the larger K wins', configs: [cfg('f16', 'f32', 16, 16, 8), cfg('f16', 'f32', 16, 8, 16)], want: '16x8x16 f32' },
    { name: 'a tie keeps the adapter order', configs: [cfg('f16', 'f32', 8, 16, 16), cfg('f16', 'f32', 16, 8, 16)], want: '8x16x16 f32' },
  ])('$name', ({ configs, want }) => {
    const c = selectSgmatConfig(configs);
    expect(c && `${c.config.M}x${c.config.N}x${c.config.K} ${c.accumulate}`).toBe(want);
  });

  test.each([
    { name: 'no configurations', configs: [] },
    { name: 'f32 and integer inputs only', configs: [cfg('f32', 'f32', 8, 8, 8), cfg('i8', 'i32', 16, 16, 32)] },
    { name: 'f16 inputs with an integer result', configs: [cfg('f16', 'i32', 16, 16, 16)] },
  ])('none: $name', ({ configs }) => {
    expect(selectSgmatConfig(configs)).toBeNull();
  });

  test('configs are read field by field from adapter info (interface objects keep attributes on the prototype)', () => {
    class Config {
      get componentType() {
        return 'f16';
      }
      get resultComponentType() {
        return 'f32';
      }
      get M() {
        return 16;
      }
      get N() {
        return 8;
      }
      get K() {
        return 16;
      }
    }
    expect(subgroupMatrixConfigs({ subgroupMatrixConfigs: [new Config()] })).toEqual([cfg('f16', 'f32', 16, 8, 16)]);
    expect(subgroupMatrixConfigs({})).toEqual([]);
    expect(subgroupMatrixConfigs(undefined)).toEqual([]);
  });
});

describe('why the f16 subgroup-matrix GEMM cannot run (the suite records these as skip reasons)', () => {
  const shape = { M: 4096, N: 4096, K: 4096 };
  const reason = (e: SgmatEnv, s = shape) => {
    const p = planSgmat(e, s);
    return typeof p === 'string' ? p : null;
  };

  test('no subgroup-matrix feature: names the feature and the toggles that expose it', () => {
    const r = reason(env(['shader-f16'], []));
    expect(r).toMatch(/^chromium-experimental-subgroup-matrix not supported by this adapter/);
    expect(r).toMatch(/allow_unsafe_apis/);
    expect(r).toMatch(/vulkan_enable_f16_on_nvidia/);
  });

  test('no shader-f16', () => {
    expect(reason(env([SGMAT_FEATURE, 'subgroups'], NVIDIA))).toMatch(/^shader-f16 not supported by this adapter.*vulkan_enable_f16_on_nvidia/);
  });

  test('no f16 configuration: lists what is offered', () => {
    expect(reason(env(ALL, [cfg('f32', 'f32', 8, 8, 8)]))).toMatch(/no f16 x f16 configuration \(offered: f32 8x8x8 -> f32\)/);
  });

  test('no subgroupMaxSize in adapter info', () => {
    const e = env(ALL, NVIDIA);
    e.info = { subgroupMatrixConfigs: NVIDIA };
    expect(reason(e)).toMatch(/subgroupMaxSize/);
  });

  test.each([
    { M: 4096, N: 4096, K: 4088 },
    { M: 100, N: 4096, K: 4096 },
    { M: 4096, N: 4104, K: 4096 },
  ])('shape $M x $N x $K is not a multiple of 16x16x16', (s) => {
    expect(reason(env(ALL, NVIDIA), s)).toMatch(/not a multiple of the subgroup-matrix configuration 16x16x16/);
  });

  test('a workgroup the device cannot hold', () => {
    expect(reason(env(ALL, NVIDIA, 2048))).toMatch(/maximum subgroup size 2048 exceeds maxComputeWorkgroupSizeX/);
  });

  test('everything present: a plan, with the configuration it records', () => {
    const p = planSgmat(env(ALL, NVIDIA), shape);
    expect(typeof p).toBe('object');
    if (typeof p !== 'string') expect(p.choice).toEqual({ config: cfg('f16', 'f32', 16, 16, 16), accumulate: 'f32' });
  });

  test('the variant asks the same question of a device (its adapter info, or the one given)', () => {
    const e = env(ALL, NVIDIA);
    const device = { features: e.features, limits: e.limits, adapterInfo: e.info } as unknown as GPUDevice;
    const v = sgmatMatmulVariant(shape);
    expect(v.params).toEqual(shape);
    expect(v.problem(device)).toBeUndefined();
    expect(sgmatMatmulVariant(shape, { subgroupMatrixConfigs: NVIDIA }).problem(device)).toMatch(/subgroupMaxSize/);
    expect(v.problem({ ...device, features: new Set(['shader-f16']) } as unknown as GPUDevice)).toMatch(/^chromium-experimental-subgroup-matrix not supported/);
  });
});

describe('tile planning fits the device', () => {
  test.each([
    { name: 'NVIDIA-like, 32 KiB', sg: 32, storage: 32768, want: { sgM: 2, sgN: 4, fm: 4, fn: 2, bk: 32 } },
    { name: 'WebGPU default 16 KiB: halves the K slice', sg: 32, storage: 16384, want: { sgM: 2, sgN: 4, fm: 4, fn: 2, bk: 16 } },
    { name: 'subgroups of 64 in 256 invocations', sg: 64, storage: 32768, maxInv: 256, want: { sgM: 2, sgN: 2, fm: 4, fn: 2, bk: 32 } },
    { name: 'subgroups of 128 in 256 invocations', sg: 128, storage: 16384, maxInv: 256, want: { sgM: 2, sgN: 1, fm: 4, fn: 2, bk: 32 } },
  ])('$name', ({ sg, storage, maxInv, want }) => {
    const limits = { ...LIMITS, maxComputeWorkgroupStorageSize: storage, maxComputeInvocationsPerWorkgroup: maxInv ?? 1024 };
    const c = cfg('f16', 'f32', 16, 16, 16);
    const t = planSgmatTile(c, sg, limits);
    expect(t).toEqual({ sgSize: sg, ...want });
    if (typeof t === 'string') return;
    const d = sgmatTileDims(c, t);
    expect(d.threads).toBeLessThanOrEqual(limits.maxComputeInvocationsPerWorkgroup);
    expect(d.storageBytes).toBeLessThanOrEqual(storage);
    expect(t.bk % c.K).toBe(0);
    expect(t.bk % 8).toBe(0);
  });
});

describe('the WGSL template fills for every configuration', () => {
  const configs = [...NVIDIA.filter((c) => c.componentType === 'f16'), ...METAL.filter((c) => c.componentType === 'f16')];
  test.each(configs.map((c) => ({ ...c, name: `${c.M}x${c.N}x${c.K} -> ${c.resultComponentType}` })))('$name', (c) => {
    const choice = { config: c, accumulate: c.resultComponentType as 'f32' | 'f16' };
    const tile = planSgmatTile(c, 32, LIMITS);
    if (typeof tile === 'string') throw new Error(tile);
    const code = sgmatWgsl(choice, tile);
    expect(code).not.toMatch(/\{\{/);
    expect(code).toMatch(/^enable f16;$/m);
    expect(code).toMatch(/^enable chromium_experimental_subgroup_matrix;$/m);
    expect(code).toContain(`alias AccT = ${c.resultComponentType};`);
    expect(code).toContain(`const CM = ${c.M};`);
    expect(code).toContain(`const CN = ${c.N};`);
    expect(code).toContain(`const CK = ${c.K};`);
    expect(code).toContain(`const BK: u32 = ${tile.bk}u;`);
    expect(code).toContain('override SG_SIZE: u32;');
  });
});

describe('f16 operands and reference', () => {
  test('every generated operand is an exact f16 value (the reference needs no rounding)', () => {
    for (let i = 0; i < 20000; i++) {
      const v = hashValueF16(7, i);
      expect(f16round(v)).toBe(v);
      expect(v).toBeGreaterThanOrEqual(-1);
      expect(v).toBeLessThan(1);
    }
  });

  test.each([
    { bits: 0x0000, v: 0 },
    { bits: 0x3c00, v: 1 },
    { bits: 0xbc00, v: -1 },
    { bits: 0x3555, v: 0.333251953125 },
    { bits: 0x0001, v: 2 ** -24 },
    { bits: 0x7bff, v: 65504 },
    { bits: 0xfc00, v: -Infinity },
  ])('f16 bits $bits decode to $v', ({ bits, v }) => {
    expect(f16FromBits(bits)).toBe(v);
  });

  test('f16 NaN decodes to NaN (the poison of f16 outputs)', () => {
    expect(f16FromBits(0x7e00)).toBeNaN();
  });

  test('tolerance: fixed with f32 accumulation, growing with K for f16', () => {
    expect(sgmatThreshold('f32', 8192)).toBe(1e-3);
    expect(sgmatThreshold('f16', 112)).toBeCloseTo(2.5 * 2 ** -11 * Math.sqrt(112 / 6));
    expect(sgmatThreshold('f16', 8192)).toBeGreaterThan(sgmatThreshold('f16', 4096));
  });
});

describe('the f16-accumulation tolerance passes honest rounding and fails a dropped K slice', () => {
  /** Relative L2 over 64 dot products of K f16 operand pairs accumulated in f16 (rounded after every add), against float64. */
  function f16Accumulated(K: number, skip: (k: number) => boolean): number {
    let num = 0;
    let den = 0;
    for (let o = 0; o < 64; o++) {
      let exact = 0;
      let acc = 0;
      for (let k = 0; k < K; k++) {
        const p = hashValueF16(1, o * K + k) * hashValueF16(2, o * K + k);
        exact += p;
        if (!skip(k)) acc = f16round(acc + p);
      }
      num += (acc - exact) ** 2;
      den += exact ** 2;
    }
    return Math.sqrt(num / den);
  }

  test.each([1024, 4096, 8192])('K = %i', (K) => {
    const threshold = sgmatThreshold('f16', K);
    // Every partial sum rounded to f16: within the bound, with room.
    expect(f16Accumulated(K, () => false)).toBeLessThan(threshold / 2);
    // The first 32-wide K slice skipped (what a wrong fragment loop does): fails.
    expect(f16Accumulated(K, (k) => k < 32)).toBeGreaterThan(threshold);
  });
});
