import { describe, expect, test } from 'vitest';
import { detectSoftware } from '../../src/gpu/device';
import type { AdapterInfo } from '../../src/schema/result';

const hopper: AdapterInfo = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'NVIDIA H100 80GB HBM3',
  isFallbackAdapter: false,
};

const blank: AdapterInfo = { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false };

describe('detectSoftware', () => {
  test.each<{ name: string; info: AdapterInfo; reason: RegExp }>([
    {
      name: 'isFallbackAdapter',
      info: { ...hopper, isFallbackAdapter: true },
      reason: /isFallbackAdapter/,
    },
    {
      name: 'SwiftShader architecture',
      info: { ...blank, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' },
      reason: /architecture "swiftshader"/,
    },
    {
      name: 'llvmpipe description',
      info: { ...blank, vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.7, 256 bits)' },
      reason: /description "llvmpipe \(LLVM 15\.0\.7, 256 bits\)"/,
    },
    {
      name: 'lavapipe device',
      info: { ...blank, device: 'lavapipe' },
      reason: /device "lavapipe"/,
    },
    {
      name: 'Microsoft Basic Render Driver (WARP)',
      info: { ...blank, vendor: 'microsoft', description: 'Microsoft Basic Render Driver' },
      reason: /description "Microsoft Basic Render Driver"/,
    },
    {
      name: 'WARP as a whole word',
      info: { ...blank, description: 'Microsoft WARP' },
      reason: /description/,
    },
    {
      name: 'case-insensitive match',
      info: { ...blank, architecture: 'SwiftShader' },
      reason: /architecture/,
    },
  ])('$name → software', ({ info, reason }) => {
    const r = detectSoftware(info);
    expect(r.isSoftware).toBe(true);
    expect(r.reason).toMatch(reason);
  });

  test.each<{ name: string; info: AdapterInfo }>([
    { name: 'NVIDIA Hopper', info: hopper },
    {
      name: 'AMD RDNA3',
      info: { ...blank, vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX' },
    },
    { name: 'Apple M-series', info: { ...blank, vendor: 'apple', architecture: 'metal-3' } },
    { name: 'Intel Xe', info: { ...blank, vendor: 'intel', architecture: 'xe-lpg', description: 'Intel(R) Arc(TM) Graphics' } },
    { name: '"warp" only inside a word', info: { ...blank, description: 'Warpdrive GPU 9000' } },
    { name: 'all fields empty', info: blank },
  ])('$name → hardware', ({ info }) => {
    expect(detectSoftware(info)).toEqual({ isSoftware: false, reason: 'hardware adapter' });
  });

  test('repeated calls give the same answer (no regex state carried over)', () => {
    const info = { ...blank, description: 'llvmpipe (LLVM 15.0.7, 256 bits)' };
    expect(detectSoftware(info).isSoftware).toBe(true);
    expect(detectSoftware(info).isSoftware).toBe(true);
    expect(detectSoftware(hopper).isSoftware).toBe(false);
  });
});
