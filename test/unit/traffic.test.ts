import { describe, expect, test } from 'vitest';

import { HEADLINE_PRESETS, PRESETS } from '../../src/model/presets';
import { parseResult } from '../../src/schema/result';
import { tokenTestRow } from '../../src/result/formats';
import { tensorBytes } from '../../src/core/tensor';
import {
  TRAFFIC_RATIO_TARGET,
  attentionDecodeTraffic,
  attentionPrefillTraffic,
  decodeTraffic,
  embedTraffic,
  linearTraffic,
  partRows,
  ropeKvTraffic,
} from '../../src/model/traffic';
import type { Arch } from '../../src/model/types';
import { KV_TYPES } from '../../src/core/kv';
import { decodeBytesPerToken, kvCacheBytes } from '../../src/model/accounting';
import type { WeightFormat } from '../../src/core/tensor';
import { validateArch } from '../../src/model/arch';
import { MODEL_FORMATS } from '../../src/model/formats/mix';
import { tokenResult, tokenWorkload } from './token-fixture';

const preset = (name: string): Arch => {
  const a = PRESETS[name];
  if (a === undefined) throw new Error(`no preset ${name}`);
  return a;
};

/** A depth every headline model's context holds, deep enough for the KV cache to matter. */
const DEEP = 4096;

describe(`decode reads at most ${TRAFFIC_RATIO_TARGET} x what it needs (batch 1)`, () => {
  // Every format each model can hold (qwen2.5-0.5b's hidden 896 takes no 256-weight k-quant blocks).
  const formats = (name: string) => MODEL_FORMATS.filter((f) => validateArch(preset(name), f).ok);
  const cases = HEADLINE_PRESETS.flatMap((name) => formats(name).flatMap((format) => [0, DEEP].map((pos) => ({ name, format, pos }))));
  test.each(cases)('$name $format at pos $pos', ({ name, format, pos }) => {
    for (const kvType of KV_TYPES) {
      const t = decodeTraffic(preset(name), format, 1, pos, undefined, kvType);
      expect(t.ratio, kvType).toBeLessThanOrEqual(TRAFFIC_RATIO_TARGET);
      // Every byte needed is read (the KV write is needed but written, not read): never far below 1.
      expect(t.ratio, kvType).toBeGreaterThan(0.99);
    }
  });
});

describe('an f16 KV cache reads and writes half the KV bytes of an f32 one', () => {
  test.each([
    { name: 'qwen2.5-0.5b', format: 'q4_0', batch: 1, pos: DEEP },
    { name: 'tiny-tied', format: 'q8_0', batch: 3, pos: 17 },
  ] as const)('$name $format batch $batch at $pos', ({ name, format, batch, pos }) => {
    const arch = preset(name);
    const f32 = decodeTraffic(arch, format, batch, pos, undefined, 'f32');
    const f16 = decodeTraffic(arch, format, batch, pos, undefined, 'f16');
    // Per layer, kv head and sequence: K and V of pos + 1 positions read, the new position written.
    const row = (bytes: number) => 2 * arch.layers * arch.kvHeads * arch.headDim * bytes * batch;
    expect(f32.read - f16.read).toBe((pos + 1) * (row(4) - row(2)));
    expect(f32.written - f16.written).toBe(row(4) - row(2));
    expect(f32.needed - f16.needed).toBe((pos + 2) * (row(4) - row(2)));
    expect(decodeBytesPerToken(arch, format, pos, batch, undefined, 'f16').kvRead).toBe((pos + 1) * row(2));
    const shape = { heads: arch.heads, kvHeads: arch.kvHeads, headDim: arch.headDim, ctxCap: pos + 8 };
    expect(attentionPrefillTraffic({ ...shape, kvType: 'f16' }, 4, pos).read).toBe(attentionPrefillTraffic(shape, 4, pos).read - 2 * arch.kvHeads * (pos + 4) * arch.headDim * 2);
    expect(kvCacheBytes(arch, pos, batch, 'f16') * 2).toBe(kvCacheBytes(arch, pos, batch));
  });
});

describe('the check catches a wrong accounting', () => {
  const arch = preset('qwen2.5-0.5b');
  const format: WeightFormat = 'q4_0';
  const right = decodeTraffic(arch, format, 1, 0);

  test('counting the whole embedding table instead of the looked-up row exceeds the target', () => {
    const lookup = embedTraffic(format, arch.hidden, 1, 1).read;
    const wholeTable = lookup + tensorBytes(format, arch.vocab - 1, arch.hidden);
    expect(right.ratio).toBeLessThanOrEqual(TRAFFIC_RATIO_TARGET);
    expect((right.read - lookup + wholeTable) / right.needed).toBeGreaterThan(TRAFFIC_RATIO_TARGET);
  });

  test('attention reading a whole 8192-position cache at pos 0 exceeds the target', () => {
    const shape = { heads: arch.heads, kvHeads: arch.kvHeads, headDim: arch.headDim, ctxCap: 8192 };
    const extra = arch.layers * (attentionDecodeTraffic(shape, 1, 8191).read - attentionDecodeTraffic(shape, 1, 0).read);
    expect((right.read + extra) / right.needed).toBeGreaterThan(TRAFFIC_RATIO_TARGET);
  });
});

describe('decodeTraffic', () => {
  test('a small model in f32, batch 1 at pos 3, by hand', () => {
    // The tiny preset's former shape: hidden 64, ffn 96, 2 layers, 4 heads, 2 kv heads, headDim 16 (q 64, kv 32),
    // vocab 256, untied, biases.
    const embed = 4 + 64 * 4; // token id + one f32 row
    const qkv = 128 * 64 * 4 + 64 * 4 + 64 * 4 + 128 * 4; // weights, x, norm, bias
    const ropeKv = 128 * 4 + 4; // q and k/v of the qkv row, state[0]
    const attention = 64 * 4 + 2 * 2 * 4 * 16 * 4 + 4; // q, K and V of 2 kv heads at positions 0..3, state[0]
    const o = 64 * 64 * 4 + 64 * 4 + 64 * 4; // weights, x, residual y
    const gateUp = 192 * 64 * 4 + 64 * 4 + 64 * 4; // weights, x, norm
    const down = 64 * 96 * 4 + 96 * 4 + 64 * 4; // weights, x, residual y
    const head = 64 * 4 + 64 * 4 + (256 * 64 * 4 + 64 * 4) + (256 * 4 + 4) + 8; // norm, lm_head, argmax, step advance
    const read = embed + 2 * (qkv + ropeKv + attention + o + gateUp + down) + head;
    // Needed: weights 245760 + lm_head 65536 + row 256 + norms 1280 + biases 1024, KV 4 positions read + 1 written.
    const needed = 245760 + 65536 + 256 + 1280 + 1024 + 5 * (2 * 2 * 2 * 16 * 4);
    const t = decodeTraffic({ ...preset('tiny'), hidden: 64, ffn: 96, headDim: 16 }, 'f32', 1, 3);
    expect(t.read).toBe(read);
    expect(t.needed).toBe(needed);
    expect(t.ratio).toBeCloseTo(read / needed, 12);
  });

  test.each([
    { name: 'qwen2.5-0.5b', format: 'q4_0', batch: 1 },
    { name: 'llama-3.2-1b', format: 'f16', batch: 4 },
    { name: 'tiny-tied', format: 'q8_0', batch: 3 },
  ] as const)('$name $format batch $batch: one more position reads one more K and V row per layer, kv head and sequence', ({ name, format, batch }) => {
    const arch = preset(name);
    const row = 2 * arch.layers * arch.kvHeads * arch.headDim * 4 * batch;
    expect(decodeTraffic(arch, format, batch, 101).read - decodeTraffic(arch, format, batch, 100).read).toBe(row);
    // Linear in pos, so the mean position of a run gives its mean traffic.
    expect(decodeTraffic(arch, format, batch, 100.5).read).toBe(decodeTraffic(arch, format, batch, 100).read + row / 2);
  });

  test('split weights read each weight once and x once per part', () => {
    const arch = preset('qwen2.5-0.5b');
    const whole = decodeTraffic(arch, 'f32', 1, 0);
    const split = decodeTraffic(arch, 'f32', 1, 0, 2 ** 27);
    const lmParts = partRows('f32', arch.vocab, arch.hidden, 2 ** 27).length;
    expect(lmParts).toBe(5); // 151936 rows of 3584 bytes in parts of 37449
    // The tied table serves the lookup (4 more token-id reads) and the head (4 more x reads).
    expect(split.read - whole.read).toBe((lmParts - 1) * 4 + (lmParts - 1) * arch.hidden * 4);
  });
});

describe('per-kernel traffic', () => {
  const shape = { heads: 6, kvHeads: 2, headDim: 16, ctxCap: 10 };

  test('linear: parts sum to the whole weight, bias and residual y; x and norm weights once per part', () => {
    const cfg = { format: 'q4_0', K: 64, N: 25, bias: true, residual: true, norm: { eps: 1e-5 } } as const;
    const one = linearTraffic(cfg, [25], 3);
    const three = linearTraffic(cfg, [10, 10, 5], 3);
    expect(one.read).toBe(tensorBytes('q4_0', 25, 64) + 3 * 64 * 4 + 64 * 4 + 25 * 4 + 3 * 25 * 4);
    expect(three.read - one.read).toBe(2 * (3 * 64 * 4 + 64 * 4));
    expect(three.written).toBe(one.written);
    expect(one.written).toBe(3 * 25 * 4);
  });

  test('linear with SwiGLU writes half the rows', () => {
    expect(linearTraffic({ format: 'f16', K: 32, N: 40, bias: false, residual: false, swiglu: true }, [20, 20], 2).written).toBe(2 * 20 * 4);
  });

  test('decode attention reads positions 0..pos, clamped to the cache as the shader does', () => {
    const at = (pos: number) => attentionDecodeTraffic(shape, 2, pos).read;
    expect(at(4) - at(3)).toBe(2 * 2 * 2 * 16 * 4);
    expect(at(25)).toBe(at(9));
  });

  test('prefill attention reads up to the last query position, clamped', () => {
    expect(attentionPrefillTraffic(shape, 4, 2).read).toBe(4 * 6 * 16 * 4 + 2 * 2 * 6 * 16 * 4 + 4);
    expect(attentionPrefillTraffic(shape, 4, 8).read).toBe(attentionPrefillTraffic(shape, 4, 6).read);
  });

  test('ropeKv reads and writes k and v only for rows inside the cache', () => {
    const qOnly = 3 * 6 * 16 * 4;
    const kv = 2 * 2 * 16 * 4;
    expect(ropeKvTraffic(shape, 3, 0, 9)).toEqual({ read: qOnly + 3 * kv + 4, written: qOnly + 3 * kv });
    expect(ropeKvTraffic(shape, 3, 0, 10)).toEqual({ read: qOnly + 4, written: qOnly });
    expect(ropeKvTraffic(shape, 3, 1, 8)).toEqual({ read: qOnly + 2 * kv + 4, written: qOnly + 2 * kv });
  });

  test('embed reads one row per token in the table format, and every token id once per part', () => {
    expect(embedTraffic('q8_0', 96, 3, 2)).toEqual({ read: 3 * 2 * 4 + 2 * 102, written: 2 * 96 * 4 });
  });

  test('pos must be a finite number >= 0', () => {
    expect(() => decodeTraffic(preset('tiny'), 'f32', 1, -1)).toThrow(RangeError);
    expect(() => attentionDecodeTraffic(shape, 1, Number.NaN)).toThrow(RangeError);
  });
});

describe('traffic in results', () => {
  const traffic = { readPerToken: 1.0031e9, neededPerToken: 1e9, ratio: 1.0031, pos: 64.5, method: 'analytic' };

  test('a decode test with traffic validates, and one without it (older results) still does', () => {
    const r = tokenResult();
    expect(parseResult(r).ok).toBe(true);
    const t = r.phases.flatMap((p) => p.workloads ?? []).flatMap((w) => w.tests).find((x) => x.kind === 'decode');
    if (!t) throw new Error('fixture has no decode test');
    t.traffic = traffic;
    expect(parseResult(r).ok).toBe(true);
    t.traffic = { ...traffic, ratio: -1 };
    expect(parseResult(r).ok).toBe(false);
  });

  test('the token table shows the ratio of decode tests', () => {
    const w = tokenWorkload({ prefill: 1000, decode: 100, batch4: 320 });
    const [prefill, decode] = [w.tests.find((t) => t.kind === 'prefill'), w.tests.find((t) => t.kind === 'decode')];
    if (!prefill || !decode) throw new Error('fixture lacks a prefill or decode test');
    expect(tokenTestRow(w, { ...decode, traffic }).bound).toMatch(/reads 1\.003× needed$/);
    expect(tokenTestRow(w, decode).bound).not.toMatch(/reads/);
  });
});
