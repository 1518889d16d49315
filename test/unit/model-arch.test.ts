import { describe, expect, test } from 'vitest';

import { ARCH_DEFAULTS, ARCH_FLAG_NAMES, archFromFlags, parseArchJson, resolveArch, validateArch } from '../../src/model/arch';
import { HEADLINE_PRESETS, PRESETS, presetNames } from '../../src/model/presets';
import type { Arch } from '../../src/model/types';
import { MODEL_FORMATS, type ModelFormat } from '../../src/model/formats/mix';

const tiny = PRESETS.tiny as Arch;
/** Models whose matmul inputs are not whole 256-weight blocks: no k-quant format, no Q4_K_M mix. */
const NO_K_QUANTS = new Set(['qwen2.5-0.5b', 'tiny-tied']);
const K_FORMATS: readonly ModelFormat[] = ['q4_k', 'q5_k', 'q6_k', 'q4_k_m'];
const allPresetFormats = presetNames().flatMap((name) => MODEL_FORMATS.filter((f) => !NO_K_QUANTS.has(name) || !K_FORMATS.includes(f)).map((format) => ({ name, format })));

/** Errors of an outcome that must have failed. */
function errorsOf(r: ReturnType<typeof validateArch>): string[] {
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.arch)}`);
  return r.errors;
}

describe('presets', () => {
  test('headline presets are the 8 real models in table order, and all are presets', () => {
    expect(HEADLINE_PRESETS).toEqual([
      'qwen2.5-0.5b',
      'qwen2.5-1.5b',
      'qwen2.5-7b',
      'llama-3.2-1b',
      'llama-3.2-3b',
      'llama-3.1-8b',
      'mistral-7b-v0.3',
      'phi-3-mini',
    ]);
    expect(presetNames()).toEqual([...HEADLINE_PRESETS, 'tiny', 'tiny-tied']);
  });

  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('looking up %j gives undefined, not an Object method', (name) => {
    expect(PRESETS[name]).toBeUndefined();
  });

  test.each(presetNames())('%s: name matches its key and it is frozen', (name) => {
    const a = PRESETS[name] as Arch;
    expect(a.name).toBe(name);
    expect(Object.isFrozen(a)).toBe(true);
  });

  test.each(allPresetFormats)('$name validates for $format', ({ name, format }) => {
    const r = validateArch(PRESETS[name], format);
    expect(r).toEqual({ ok: true, arch: PRESETS[name] });
  });

  test.each([...NO_K_QUANTS].flatMap((name) => K_FORMATS.map((format) => ({ name, format }))))('$name cannot hold $format: hidden is not whole 256-weight blocks', ({ name, format }) => {
    const a = PRESETS[name] as Arch;
    expect(errorsOf(validateArch(a, format))).toContain(`hidden (${a.hidden}) must be a multiple of 256 for ${format} weights (a matmul input size)`);
  });

  test.each([
    { name: 'qwen2.5-0.5b', shape: [896, 4864, 24, 14, 2, 64, 151936], tied: true, bias: true, theta: 1e6, eps: 1e-6 },
    { name: 'qwen2.5-1.5b', shape: [1536, 8960, 28, 12, 2, 128, 151936], tied: true, bias: true, theta: 1e6, eps: 1e-6 },
    { name: 'qwen2.5-7b', shape: [3584, 18944, 28, 28, 4, 128, 152064], tied: false, bias: true, theta: 1e6, eps: 1e-6 },
    { name: 'llama-3.2-1b', shape: [2048, 8192, 16, 32, 8, 64, 128256], tied: true, bias: false, theta: 5e5, eps: 1e-5 },
    { name: 'llama-3.2-3b', shape: [3072, 8192, 28, 24, 8, 128, 128256], tied: true, bias: false, theta: 5e5, eps: 1e-5 },
    { name: 'llama-3.1-8b', shape: [4096, 14336, 32, 32, 8, 128, 128256], tied: false, bias: false, theta: 5e5, eps: 1e-5 },
    { name: 'mistral-7b-v0.3', shape: [4096, 14336, 32, 32, 8, 128, 32768], tied: false, bias: false, theta: 1e6, eps: 1e-5 },
    { name: 'phi-3-mini', shape: [3072, 8192, 32, 32, 32, 96, 32064], tied: false, bias: false, theta: 1e4, eps: 1e-5 },
    { name: 'tiny', shape: [256, 768, 2, 4, 2, 64, 256], tied: false, bias: true, theta: 1e4, eps: 1e-5 },
    { name: 'tiny-tied', shape: [96, 160, 3, 6, 2, 16, 300], tied: true, bias: false, theta: 5e5, eps: 1e-6 },
  ])('$name has the published shape', ({ name, shape, tied, bias, theta, eps }) => {
    const a = PRESETS[name] as Arch;
    expect([a.hidden, a.ffn, a.layers, a.heads, a.kvHeads, a.headDim, a.vocab]).toEqual(shape);
    expect({ tied: a.tiedEmbeddings, bias: a.qkvBias, theta: a.ropeTheta, eps: a.normEps }).toEqual({ tied, bias, theta, eps });
  });
});

describe('validateArch', () => {
  const minimal = { hidden: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 256 };

  test('fills defaults for omitted optional fields', () => {
    expect(validateArch(minimal)).toEqual({ ok: true, arch: { ...minimal, ...ARCH_DEFAULTS } });
  });

  test('returns a fresh object, never the input', () => {
    const input = { ...tiny };
    const r = validateArch(input);
    expect(r.ok && r.arch).not.toBe(input);
  });

  test.each<{ name: string; patch: Record<string, unknown>; format?: string; message: string }>([
    { name: 'heads not divisible by kvHeads', patch: { heads: 14, kvHeads: 4 }, message: 'heads (14) must be divisible by kvHeads (4)' },
    { name: 'kvHeads larger than heads', patch: { heads: 2, kvHeads: 4 }, message: 'heads (2) must be divisible by kvHeads (4)' },
    { name: 'odd headDim', patch: { headDim: 63 }, message: 'headDim (63) must be even for RoPE' },
    { name: 'non-integer hidden', patch: { hidden: 64.5 }, message: 'hidden (64.5) must be a positive integer' },
    { name: 'negative layers', patch: { layers: -2 }, message: 'layers (-2) must be a positive integer' },
    { name: 'zero ffn', patch: { ffn: 0 }, message: 'ffn (0) must be a positive integer' },
    { name: 'hidden as a string', patch: { hidden: '64' }, message: 'hidden ("64") must be a positive integer' },
    { name: 'NaN heads', patch: { heads: Number.NaN }, message: 'heads (NaN) must be a positive integer' },
    { name: 'vocab of 1', patch: { vocab: 1 }, message: 'vocab (1) must be at least 2' },
    { name: 'absurd hidden', patch: { hidden: 2 ** 21 }, message: 'hidden (2097152) exceeds the limit 1048576' },
    { name: 'absurd layers', patch: { layers: 1025 }, message: 'layers (1025) exceeds the limit 1024' },
    { name: 'absurd heads*headDim', patch: { heads: 8192, kvHeads: 1, headDim: 256 }, message: 'heads*headDim (8192*256=2097152) exceeds the limit 1048576' },
    { name: 'missing vocab', patch: { vocab: undefined }, message: 'vocab is required (a positive integer)' },
    { name: 'unknown key', patch: { hiddenSize: 64 }, message: 'unknown field "hiddenSize"' },
    { name: 'ropeTheta of 1', patch: { ropeTheta: 1 }, message: 'ropeTheta (1) must be a finite number > 1' },
    { name: 'infinite ropeTheta', patch: { ropeTheta: Number.POSITIVE_INFINITY }, message: 'ropeTheta (Infinity) must be a finite number > 1' },
    { name: 'zero normEps', patch: { normEps: 0 }, message: 'normEps (0) must be a number with 0 < normEps < 1' },
    { name: 'normEps of 1', patch: { normEps: 1 }, message: 'normEps (1) must be a number with 0 < normEps < 1' },
    { name: 'empty name', patch: { name: ' ' }, message: 'name (" ") must be a non-empty string' },
    { name: 'numeric name', patch: { name: 7 }, message: 'name (7) must be a non-empty string' },
    { name: 'tiedEmbeddings as a string', patch: { tiedEmbeddings: 'yes' }, message: 'tiedEmbeddings ("yes") must be true or false' },
    { name: 'qkvBias null', patch: { qkvBias: null }, message: 'qkvBias (null) must be true or false' },
    { name: 'hidden not a multiple of 32 for q4_0', patch: { hidden: 80, heads: 5, kvHeads: 1 }, format: 'q4_0', message: 'hidden (80) must be a multiple of 32 for q4_0 weights' },
    { name: 'ffn not a multiple of 32 for q8_0', patch: { ffn: 104 }, format: 'q8_0', message: 'ffn (104) must be a multiple of 32 for q8_0 weights' },
    { name: 'heads*headDim not a multiple of 32 for q4_0', patch: { heads: 5, kvHeads: 1, headDim: 12 }, format: 'q4_0', message: 'heads*headDim (5*12=60) must be a multiple of 32 for q4_0 weights' },
    { name: 'hidden not a multiple of 8 for f16', patch: { hidden: 68 }, format: 'f16', message: 'hidden (68) must be a multiple of 8 for f16 weights' },
    { name: 'ffn not a multiple of 256 for q5_k', patch: { ffn: 800 }, format: 'q5_k', message: 'ffn (800) must be a multiple of 256 for q5_k weights' },
    { name: 'ffn not a multiple of 256 for the q4_k_m mix', patch: { ffn: 800 }, format: 'q4_k_m', message: 'ffn (800) must be a multiple of 256 for q4_k_m weights' },
    { name: 'an unknown format', patch: {}, format: 'q3_k', message: 'unknown weight format "q3_k" (expected one of f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m)' },
  ])('$name', ({ patch, format, message }) => {
    const errors = errorsOf(validateArch({ ...tiny, ...patch }, format as ModelFormat | undefined));
    expect(errors.some((e) => e.includes(message)), `${message} not in ${JSON.stringify(errors)}`).toBe(true);
  });

  test.each<{ name: string; value: unknown }>([
    { name: 'null', value: null },
    { name: 'an array', value: [64] },
    { name: 'a number', value: 64 },
    { name: 'a string', value: 'tiny' },
  ])('rejects $name as a whole', ({ value }) => {
    expect(errorsOf(validateArch(value))).toEqual([expect.stringMatching(/^architecture must be an object, got /)]);
  });

  test('columns that are not a multiple of 32 are fine for f32 (multiple of 8)', () => {
    const a = { ...tiny, hidden: 80, heads: 5, kvHeads: 1, ffn: 104 };
    expect(validateArch(a, 'q4_0').ok).toBe(false);
    expect(validateArch(a, 'f32')).toEqual({ ok: true, arch: a });
  });

  test('collects every problem at once', () => {
    const errors = errorsOf(validateArch({ ...tiny, heads: 14, kvHeads: 4, headDim: 63, vocab: -1, extra: 1 }));
    expect(errors).toHaveLength(4);
  });

  test('a bad field is reported once, without derived errors', () => {
    expect(errorsOf(validateArch({ ...tiny, kvHeads: 0 }, 'q4_0'))).toEqual(['kvHeads (0) must be a positive integer']);
  });

  test('__proto__ from JSON is an unknown key and does not leak', () => {
    const r = parseArchJson(JSON.stringify(tiny).replace('{', '{"__proto__":{"polluted":1},'));
    expect(errorsOf(r)).toEqual([expect.stringContaining('unknown field "__proto__"')]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseArchJson', () => {
  test('round-trips a preset', () => {
    expect(parseArchJson(JSON.stringify(PRESETS['llama-3.2-1b']))).toEqual({ ok: true, arch: PRESETS['llama-3.2-1b'] });
  });

  test.each([
    { name: 'bad JSON', text: '{"hidden": 64,' },
    { name: 'empty text', text: '' },
  ])('$name is a clear error', ({ text }) => {
    expect(errorsOf(parseArchJson(text))).toEqual([expect.stringMatching(/^invalid architecture JSON: /)]);
  });

  test('validation errors come through', () => {
    expect(errorsOf(parseArchJson(JSON.stringify({ ...tiny, headDim: 63 })))).toContain('headDim (63) must be even for RoPE');
  });
});

describe('archFromFlags', () => {
  const tinyFlags: Record<string, string> = {
    '--hidden': '256',
    '--ffn': '768',
    '--layers': '2',
    '--heads': '4',
    '--kv-heads': '2',
    '--head-dim': '64',
    '--vocab': '256',
    '--tied-embeddings': 'false',
    '--qkv-bias': 'true',
    '--rope-theta': '1e4',
    '--norm-eps': '0.00001',
    '--name': 'tiny',
  };

  test('every flag maps to its field', () => {
    expect(archFromFlags(tinyFlags)).toEqual({ ok: true, arch: tiny });
    expect(ARCH_FLAG_NAMES).toHaveLength(Object.keys(tinyFlags).length);
  });

  test('keys may omit the leading dashes', () => {
    const bare = Object.fromEntries(Object.entries(tinyFlags).map(([k, v]) => [k.slice(2), v]));
    expect(archFromFlags(bare)).toEqual({ ok: true, arch: tiny });
  });

  test.each([
    { name: 'trailing garbage', flag: '--hidden', value: '12abc', message: '--hidden ("12abc") is not a number' },
    { name: 'empty value', flag: '--layers', value: '', message: '--layers ("") is not a number' },
    { name: 'overflow to Infinity', flag: '--rope-theta', value: '1e309', message: '--rope-theta ("1e309") is not a number' },
    { name: 'hexadecimal', flag: '--vocab', value: '0x100', message: '--vocab ("0x100") is not a number' },
    { name: 'padded with spaces', flag: '--ffn', value: ' 96', message: '--ffn (" 96") is not a number' },
    { name: 'boolean spelled yes', flag: '--qkv-bias', value: 'yes', message: '--qkv-bias ("yes") must be true or false' },
    { name: 'unknown flag', flag: '--hidden-size', value: '64', message: 'unknown flag --hidden-size' },
    { name: 'odd head dim', flag: '--head-dim', value: '15', message: '--head-dim (15) must be even for RoPE' },
    { name: 'kv heads not dividing heads', flag: '--kv-heads', value: '3', message: '--heads (4) must be divisible by --kv-heads (3)' },
    { name: 'fractional layers', flag: '--layers', value: '2.5', message: '--layers (2.5) must be a positive integer' },
  ])('$name', ({ flag, value, message }) => {
    const errors = errorsOf(archFromFlags({ ...tinyFlags, [flag]: value }));
    expect(errors.some((e) => e.includes(message)), `${message} not in ${JSON.stringify(errors)}`).toBe(true);
  });

  test('a flag that fails to parse is not also reported missing', () => {
    expect(errorsOf(archFromFlags({ ...tinyFlags, '--hidden': '12abc' }))).toEqual(['--hidden ("12abc") is not a number']);
  });

  test('a missing flag is named as a flag', () => {
    const { '--kv-heads': _omitted, ...rest } = tinyFlags;
    expect(errorsOf(archFromFlags(rest))).toEqual(['--kv-heads is required (a positive integer)']);
  });

  test('format check applies to flags too', () => {
    expect(errorsOf(archFromFlags({ ...tinyFlags, '--ffn': '104' }, 'q4_0'))).toEqual([
      '--ffn (104) must be a multiple of 32 for q4_0 weights (a matmul input size)',
    ]);
  });
});

describe('resolveArch', () => {
  test.each(presetNames())('preset %s resolves to a mutable copy', (name) => {
    const r = resolveArch(name);
    expect(r).toEqual({ ok: true, arch: PRESETS[name] });
    expect(r.ok && r.arch).not.toBe(PRESETS[name]);
  });

  test('JSON text is parsed', () => {
    expect(resolveArch(`  ${JSON.stringify({ ...tiny, name: 'mine' })}`)).toEqual({ ok: true, arch: { ...tiny, name: 'mine' } });
  });

  test.each(['llama', 'constructor', 'toString', ''])('unknown name %j lists the presets', (name) => {
    const [error] = errorsOf(resolveArch(name));
    expect(error).toMatch(/^unknown architecture/);
    for (const p of presetNames()) expect(error).toContain(p);
  });

  test('a format is checked for JSON architectures', () => {
    expect(resolveArch(JSON.stringify({ ...tiny, hidden: 80, heads: 5, kvHeads: 1 }), 'q4_0').ok).toBe(false);
    expect(resolveArch('tiny', 'q4_0').ok).toBe(true);
  });
});
