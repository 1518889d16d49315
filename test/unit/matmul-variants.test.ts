import { describe, expect, test } from 'vitest';
import { MATMUL_VARIANTS, matmulVariants, variantPipeline, variantStorageBytes, variantTile, variantUnfitReason } from '../../src/kernels/matmul/matmul';

/** WebGPU's default limits: what every adapter offers. */
const DEFAULTS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupStorageSize: 16384,
} as GPUSupportedLimits;

const device = (limits: Partial<GPUSupportedLimits>) => ({ limits: { ...DEFAULTS, ...limits } as GPUSupportedLimits });

describe('f32 matmul variants for the autotuner', () => {
  test('the default comes first, with its historical id, and fits the minimum limits', () => {
    expect(MATMUL_VARIANTS[0]?.id).toBe('tile64x64k16_4x4');
    expect(matmulVariants(device({}))[0]?.id).toBe('tile64x64k16_4x4');
  });

  test('ids are unique and name the tile', () => {
    const ids = MATMUL_VARIANTS.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const v of MATMUL_VARIANTS) {
      const { bm, bn } = variantTile(v);
      expect(v.id.startsWith(`tile${bm}x${bn}k${v.bk}_${v.tm}x${v.tn}`)).toBe(true);
    }
  });

  test.each(MATMUL_VARIANTS.map((v) => ({ id: v.id, v })))('$id: its shader computes its shape', ({ v }) => {
    expect(() => variantPipeline(v)).not.toThrow();
  });

  test('minimum limits: only variants within 256 invocations and 16 KiB of workgroup memory', () => {
    const ids = matmulVariants(device({})).map((v) => v.id);
    expect(ids).toEqual(['tile64x64k16_4x4', 'tile64x64k32_4x4', 'tile128x128k8_8x8v4', 'tile128x64k8_8x8v4']);
  });

  test('32 KiB of workgroup memory admits the deeper K slice', () => {
    expect(matmulVariants(device({ maxComputeWorkgroupStorageSize: 32768 })).map((v) => v.id)).toContain('tile128x128k16_8x8v4');
  });

  test.each([
    { name: '128 invocations', limits: { maxComputeInvocationsPerWorkgroup: 128 }, want: ['tile128x64k8_8x8v4'] },
    { name: 'workgroups 8 wide', limits: { maxComputeWorkgroupSizeX: 8 }, want: ['tile128x64k8_8x8v4'] },
    { name: '8 KiB of workgroup memory', limits: { maxComputeWorkgroupStorageSize: 8192 }, want: ['tile64x64k16_4x4'] },
  ])('a small device ($name) keeps only what fits', ({ limits, want }) => {
    const d = device(limits);
    expect(matmulVariants(d).map((v) => v.id)).toEqual(want);
    for (const v of MATMUL_VARIANTS.filter((x) => !want.includes(x.id))) expect(variantUnfitReason(v, d.limits)).toMatch(/>/);
  });

  test('workgroup memory: one stage for the scalar kernel, two for vec4', () => {
    const byId = Object.fromEntries(MATMUL_VARIANTS.map((v) => [v.id, variantStorageBytes(v)]));
    expect(byId).toMatchObject({ tile64x64k16_4x4: 8192, tile64x64k32_4x4: 16384, tile128x128k8_8x8v4: 16384, tile128x128k16_8x8v4: 32768 });
  });
});
