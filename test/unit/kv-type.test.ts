import { describe, expect, test } from 'vitest';
import { KV_TYPES, assertKvHeadDim, defaultKvType, kvElementBytes, kvRound, packKv, unpackKv } from '../../src/core/kv';
import { f16round, hashValue } from '../../src/core/numeric';
import { generationToParams, parseGenerationOverrides, parseKvType } from '../../src/runtime/generation-text';

describe('--kv-type / ?kv-type=', () => {
  test.each(KV_TYPES)('%s is read and written back', (kvType) => {
    expect(parseKvType(kvType)).toEqual({ ok: true, value: kvType });
    const parsed = parseGenerationOverrides((k) => (k === 'kv-type' ? kvType : null));
    expect(parsed).toEqual({ ok: true, value: { kvType } });
    expect(generationToParams({ kvType })).toEqual([['kv-type', kvType]]);
  });

  test.each(['', 'F16', 'bf16', 'q8_0', 'f16,f32'])('"%s" is an error naming the option', (text) => {
    expect(parseKvType(text)).toEqual({ ok: false, error: `kv-type: expected f16 or f32, got "${text}"` });
  });

  test('absent: no setting (the run resolves it from the adapter)', () => {
    expect(parseGenerationOverrides(() => null)).toEqual({ ok: true, value: {} });
    expect(generationToParams({})).toEqual([]);
  });
});

describe('KV-cache element types', () => {
  test('default: f16 where the adapter has shader-f16, else f32', () => {
    expect(defaultKvType({ features: new Set(['shader-f16', 'timestamp-query']) })).toBe('f16');
    expect(defaultKvType({ features: new Set(['timestamp-query']) })).toBe('f32');
  });

  test('bytes per element', () => {
    expect(kvElementBytes('f16')).toBe(2);
    expect(kvElementBytes('f32')).toBe(4);
  });

  test('an f16 cache holds values rounded to f16, two per word, element 2i low; NaN survives', () => {
    const values = Array.from({ length: 10 }, (_, i) => hashValue(5, i, 3));
    values[3] = NaN;
    const bytes = packKv('f16', values);
    expect(bytes.byteLength).toBe(20);
    const back = unpackKv('f16', bytes, values.length);
    values.forEach((v, i) => (Number.isNaN(v) ? expect(back[i]).toBeNaN() : expect(back[i]).toBe(f16round(v))));
    expect(new Uint32Array(packKv('f16', [1, -2]))[0]).toBe((0x3c00 | (0xc000 << 16)) >>> 0);
    expect(kvRound('f16', 0.1)).toBe(f16round(0.1));
    expect(kvRound('f32', 0.1)).toBe(0.1);
    expect(() => packKv('f16', [1, 2, 3])).toThrow(/whole words/);
  });

  test('an f32 cache holds f32', () => {
    expect(unpackKv('f32', packKv('f32', [0.5, -3]), 2)).toEqual(Float32Array.from([0.5, -3]));
  });

  test('an f16 cache needs an even head dimension', () => {
    expect(() => assertKvHeadDim('rope_kv', 15, 'f16')).toThrow('rope_kv: headDim 15 must be even for an f16 KV cache (two values per u32 word)');
    expect(() => assertKvHeadDim('rope_kv', 16, 'f16')).not.toThrow();
    expect(() => assertKvHeadDim('rope_kv', 15, 'f32')).not.toThrow();
  });
});
