import { describe, expect, test } from 'vitest';
import { feasible } from '../../src/core/variant';
import { MATMUL_VARIANTS, variantPipeline, variantStorageBytes, variantTile } from '../../src/kernels/matmul/variants';

/** WebGPU's default limits: what every adapter offers. */
const DEFAULTS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupStorageSize: 16384,
} as GPUSupportedLimits;

const device = (limits: Partial<GPUSupportedLimits>) => ({ limits: { ...DEFAULTS, ...limits } as GPUSupportedLimits }) as GPUDevice;
const ids = (d: GPUDevice) => feasible(MATMUL_VARIANTS, d).map((v) => v.id);

describe('f32 matmul variants for the autotuner', () => {
  test('the default comes first, with its historical id, and fits the minimum limits', () => {
    expect(MATMUL_VARIANTS[0]?.id).toBe('tile64x64k16_4x4');
    expect(ids(device({}))[0]).toBe('tile64x64k16_4x4');
  });

  test('ids are unique and name the tile', () => {
    const ids = MATMUL_VARIANTS.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const v of MATMUL_VARIANTS) {
      const { bm, bn } = variantTile(v.params);
      expect(v.id.startsWith(`tile${bm}x${bn}k${v.params.bk}_${v.params.tm}x${v.params.tn}`)).toBe(true);
    }
  });

  test.each(MATMUL_VARIANTS.map((v) => ({ id: v.id, v })))('$id: its shader computes its shape', ({ v }) => {
    expect(() => variantPipeline(v)).not.toThrow();
  });

  test('minimum limits: only variants within 256 invocations and 16 KiB of workgroup memory', () => {
    expect(ids(device({}))).toEqual(['tile64x64k16_4x4', 'tile64x64k32_4x4', 'tile128x128k8_8x8v4', 'tile128x64k8_8x8v4']);
  });

  test('32 KiB of workgroup memory admits the deeper K slice', () => {
    expect(ids(device({ maxComputeWorkgroupStorageSize: 32768 }))).toContain('tile128x128k16_8x8v4');
  });

  test.each([
    { name: '128 invocations', limits: { maxComputeInvocationsPerWorkgroup: 128 }, want: ['tile128x64k8_8x8v4'] },
    { name: 'workgroups 8 wide', limits: { maxComputeWorkgroupSizeX: 8 }, want: ['tile128x64k8_8x8v4'] },
    { name: '8 KiB of workgroup memory', limits: { maxComputeWorkgroupStorageSize: 8192 }, want: ['tile64x64k16_4x4'] },
  ])('a small device ($name) keeps only what fits', ({ limits, want }) => {
    const d = device(limits);
    expect(ids(d)).toEqual(want);
    for (const v of MATMUL_VARIANTS.filter((x) => !want.includes(x.id))) expect(v.problem(d)).toMatch(/>/);
    for (const v of MATMUL_VARIANTS.filter((x) => want.includes(x.id))) expect(v.problem(d)).toBeUndefined();
  });

  test('workgroup memory: one stage for the scalar kernel, two for vec4', () => {
    const byId = Object.fromEntries(MATMUL_VARIANTS.map((v) => [v.id, variantStorageBytes(v.params)]));
    expect(byId).toMatchObject({ tile64x64k16_4x4: 8192, tile64x64k32_4x4: 16384, tile128x128k8_8x8v4: 16384, tile128x128k16_8x8v4: 32768 });
  });
});
