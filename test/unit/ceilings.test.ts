import { describe, expect, test } from 'vitest';
import { isSgmat } from '../../src/kernels/linear/variants';
import type { SubgroupMatrixConfig } from '../../src/kernels/matmul/sgmat-plan';
import { ceilings } from '../../src/run/phases/generation/tests';
import { linearCandidates } from '../../src/run/tune/tasks';

/** A device that offers f16 subgroup matrices with f32 accumulation (the NVIDIA shape), as Dawn reports them. */
function matrixDevice(): GPUDevice {
  const config: SubgroupMatrixConfig = { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 };
  const limits = {
    maxComputeWorkgroupStorageSize: 65536, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024,
    maxComputeWorkgroupSizeY: 1024, maxComputeWorkgroupSizeZ: 64, maxStorageBufferBindingSize: 1 << 30,
  };
  const features = new Set(['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix']);
  return { features, limits, adapterInfo: { subgroupMaxSize: 32, subgroupMatrixConfigs: [config] } } as unknown as GPUDevice;
}

const layer = { K: 2048, N: 2048, bias: false, residual: false };

describe('an f32 workload never runs f16 arithmetic', () => {
  test('the subgroup-matrix linear (f16 inputs) is a candidate for quantised weights at token tile 8 on such a device', () => {
    expect(linearCandidates(matrixDevice(), { ...layer, format: 'q4_0' }, 8).some((v) => isSgmat(v.params))).toBe(true);
  });

  test('but never for f32 weights', () => {
    const ids = linearCandidates(matrixDevice(), { ...layer, format: 'f32' }, 8).map((v) => v.id);
    expect(ids.length).toBeGreaterThan(2);
    expect(ids.filter((id) => id.startsWith('sgmat'))).toEqual([]);
  });
});

describe('a test is bounded by the units it ran on', () => {
  const c = { readGBs: 1000, fmaGflops: 50_000, matrixGflops: 700_000 };

  test('f32 linears: the f32 FMA peak', () => {
    expect(ceilings(c, 'f32')).toEqual({ bw: 1e12, peak: 5e13, ceiling: 'f32-fma' });
  });

  test('f16-input linears on the matrix units: the measured matrix-unit GEMM, never the vector peak', () => {
    expect(ceilings(c, 'f16-inputs')).toEqual({ bw: 1e12, peak: 7e14, ceiling: 'matrix-f16' });
  });

  test('no measured matrix-unit figure: no compute bound (efficiency from the bandwidth bound only)', () => {
    expect(ceilings({ ...c, matrixGflops: null }, 'f16-inputs')).toMatchObject({ peak: null, ceiling: 'matrix-f16' });
  });
});
