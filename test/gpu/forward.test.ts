import { describe, expect, test } from 'vitest';
import { PRESETS } from '../../src/model/presets';
import type { Arch, WeightFormat } from '../../src/model/types';
import { checkForward } from '../../src/suite/generation';
import { withDevice } from './helpers';

describe('full forward of tiny architectures matches the float64 CPU reference', () => {
  test.each<[string, WeightFormat]>([
    ['tiny', 'f32'],
    ['tiny', 'f16'],
    ['tiny', 'q8_0'],
    ['tiny', 'q4_0'],
    ['tiny-tied', 'f32'],
    ['tiny-tied', 'q4_0'],
  ])('%s in %s: prefill + decode tokens match, logits within tolerance', async (name, format) => {
    await withDevice(async (ctx) => {
      const v = await checkForward(ctx.device, PRESETS[name] as Arch, format, 60_000);
      expect(v.state, `${v.method}: error ${v.error} ${v.detail ?? ''}`).toBe('passed');
      expect(v.error).toBeGreaterThanOrEqual(0);
    });
  });
});
