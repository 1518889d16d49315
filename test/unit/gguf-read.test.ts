import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GGUF_FORMATS, type GgufFormat, tensorBytes } from '../../src/model/formats/table';
import { dequantizeRows } from '../../src/model/formats/dequant';
import { quantizeMatrix } from '../../src/model/formats/quant';
import { archFromGguf, checkTensors, tensorPlan, tensorRole } from '../../src/model/gguf/arch';
import { loadGgufWeights } from '../../src/model/gguf/load';
import { readGgufHeader } from '../../src/model/gguf/read';
import { blobSource, bytesSource } from '../../src/model/gguf/source';
import { openFileSource } from '../../src/model/gguf/source-node';
import { streamGgufTensors } from '../../src/model/gguf/stream';
import { GgufError, type GgufValue } from '../../src/model/gguf/types';
import { ggufBytes, gv } from '../../src/model/gguf/write';
import { writeGgufFile } from '../../src/model/gguf/write-node';
import { syntheticGguf, syntheticTensorFormat, syntheticTensorValues } from '../../src/model/synth/gguf';
import { vocabFromGguf } from '../../src/model/tokenizer/vocab';
import { ARCHS, FIXTURES, fixtureBytes } from './gguf-fixtures';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function gguFError(p: Promise<unknown>): Promise<GgufError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GgufError);
  return e as GgufError;
}

describe('write then read: every architecture in every format', () => {
  test.each(ARCHS.flatMap((a) => [...GGUF_FORMATS, 'q4_k_m' as const].map((f) => [a, f] as const)))('%s %s', async (arch, format) => {
    const { spec, vocab } = FIXTURES[arch];
    const bytes = fixtureBytes(arch, format);
    const header = await readGgufHeader(bytesSource(bytes));
    expect(header.version).toBe(3);
    expect(header.dataOffset % 32).toBe(0);
    // Floats go through f32 metadata.
    expect(archFromGguf(header)).toEqual({ ...spec, normEps: Math.fround(spec.normEps), ropeTheta: Math.fround(spec.ropeTheta) });
    expect(vocabFromGguf(header.metadata)).toEqual(vocab);
    const plan = tensorPlan(spec);
    expect(header.tensors.map((t) => [t.name, t.dims])).toEqual(plan.map((t) => [t.name, t.dims]));
    for (const [i, t] of header.tensors.entries()) {
      expect(t.format).toBe(syntheticTensorFormat(spec, plan[i]!, format));
      expect(t.bytes).toBe(tensorBytes(t.format as GgufFormat, t.rows, t.cols));
    }
    const last = header.tensors[header.tensors.length - 1]!;
    expect(last.offset + last.bytes).toBe(bytes.length);
    // The weights read back are the quantised synthetic values, exactly.
    const { weights, sha256 } = await loadGgufWeights(bytesSource(bytes), header);
    expect(sha256).toBe(sha(bytes));
    for (const [i, t] of header.tensors.entries()) {
      const values = syntheticTensorValues(spec, plan[i]!, 1);
      const expected = dequantizeRows(t.format!, quantizeMatrix(t.format!, values, t.rows, t.cols), t.cols, 0, t.rows);
      const got = weights.get(t.name)!;
      expect(got.length).toBe(expected.length);
      // A loop, not toEqual: deep equality over 10^5 elements is slow.
      let differ = 0;
      for (let j = 0; j < got.length; j++) if (!Object.is(got[j], expected[j])) differ++;
      expect(differ, t.name).toBe(0);
    }
  });
});

describe('sources and streaming', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenbench-gguf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a Node file written chunk by chunk reads back through a file handle, in row-aligned chunks', async () => {
    const { spec, vocab } = FIXTURES.qwen2;
    const path = join(dir, 'qwen2-q4_k.gguf');
    const size = await writeGgufFile(path, syntheticGguf(spec, { format: 'q4_k', vocab }));
    const bytes = fixtureBytes('qwen2', 'q4_k');
    expect(size).toBe(bytes.length);
    const src = await openFileSource(path);
    try {
      const header = await readGgufHeader(src);
      const seen: string[] = [];
      const got = await streamGgufTensors(
        src,
        header,
        (c) => {
          expect(c.bytes.length).toBe((c.rows * c.tensor.bytes) / c.tensor.rows);
          seen.push(`${c.tensor.name}:${c.rowStart}+${c.rows}`);
        },
        { maxChunkBytes: 4096 },
      );
      expect(got).toEqual({ sha256: sha(bytes), bytesRead: bytes.length });
      // token_embd: 397 rows of 144 bytes, 28 rows per 4 KiB chunk.
      expect(seen.filter((s) => s.startsWith('token_embd')).slice(0, 2)).toEqual(['token_embd.weight:0+28', 'token_embd.weight:28+28']);
      expect(seen.at(-1)).toBe('output_norm.weight:0+1');
    } finally {
      await src.close();
    }
  });

  test('a Blob reads the same header as the bytes it holds', async () => {
    const bytes = fixtureBytes('phi3', 'q8_0');
    const fromBlob = await readGgufHeader(blobSource(new Blob([bytes.slice().buffer])));
    expect(fromBlob).toEqual(await readGgufHeader(bytesSource(bytes)));
  });

  test('without hashing only the tensors asked for are read', async () => {
    const bytes = fixtureBytes('llama', 'f16');
    const header = await readGgufHeader(bytesSource(bytes));
    const out = header.tensors.find((t) => t.name === 'output.weight')!;
    const got = await streamGgufTensors(bytesSource(bytes), header, () => {}, { hash: false, include: (t) => t.name === 'output.weight' });
    expect(got).toEqual({ sha256: null, bytesRead: out.bytes });
  });
});

describe('metadata values of every type round-trip', () => {
  const values: [string, GgufValue][] = [
    ['general.architecture', gv.str('llama')],
    ['t.u8', { type: 'u8', value: 255 }],
    ['t.i8', { type: 'i8', value: -128 }],
    ['t.u16', { type: 'u16', value: 65535 }],
    ['t.i16', { type: 'i16', value: -32768 }],
    ['t.u32', gv.u32(4294967295)],
    ['t.i32', gv.i32(-2147483648)],
    ['t.f32', gv.f32(0.5)],
    ['t.f64', { type: 'f64', value: Math.PI }],
    ['t.u64', gv.u64(2n ** 64n - 1n)],
    ['t.i64', { type: 'i64', value: -(2n ** 63n) }],
    ['t.bool', gv.bool(true)],
    ['t.string', gv.str('héllo ▁ 世界')],
    ['t.strings', gv.array('string', ['a', '', 'ü'])],
    ['t.floats', gv.array('f32', [1.5, -2])],
    ['t.nested', { type: 'array', itemType: 'array', value: [['x', 'y'], ['z']] }],
  ];
  test('u8 .. f64, bool, string, arrays and nested arrays', async () => {
    const h = await readGgufHeader(bytesSource(ggufBytes({ metadata: values, tensors: [] })));
    expect([...h.metadata]).toEqual(values);
  });
});

/** The byte offset of a tensor info's type field (u32), right after its name and dims. */
function typeFieldOffset(bytes: Uint8Array, name: string, nDims: number): number {
  const needle = new TextEncoder().encode(name);
  for (let i = 0; i < bytes.length - needle.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) return i + needle.length + 4 + 8 * nDims;
  }
  throw new Error(`${name} not found`);
}

describe('bad files are refused with errors that say what is wrong', () => {
  const good = () => fixtureBytes('llama', 'q8_0');

  test('bad magic', async () => {
    const b = good();
    b.set([0x50, 0x4b, 3, 4]);
    const e = await gguFError(readGgufHeader(bytesSource(b)));
    expect([e.code, e.message]).toEqual(['bad-magic', 'not a GGUF file: it starts with 0x50 0x4b 0x03 0x04, not "GGUF"']);
  });

  test('unsupported version', async () => {
    const b = good();
    new DataView(b.buffer).setUint32(4, 1, true);
    const e = await gguFError(readGgufHeader(bytesSource(b)));
    expect(e.code).toBe('bad-version');
    expect(e.message).toContain('GGUF version 1 is not supported (2 or 3)');
  });

  test('a big-endian file is recognised as such', async () => {
    const b = good();
    new DataView(b.buffer).setUint32(4, 3, false);
    const e = await gguFError(readGgufHeader(bytesSource(b)));
    expect([e.code, e.message]).toEqual(['bad-version', 'this is a big-endian GGUF file (version 3); tokenbench reads little-endian GGUF only']);
  });

  test('a header cut short', async () => {
    const e = await gguFError(readGgufHeader(bytesSource(good().subarray(0, 2000))));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/^truncated GGUF: .* needs \d+ bytes at offset \d+, but the file ends at 2000$/);
  });

  test('tensor data cut short names the first tensor past the end', async () => {
    const b = good();
    const e = await gguFError(readGgufHeader(bytesSource(b.subarray(0, b.length - 100))));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/^tensor "output.weight" occupies bytes \d+\.\.\d+ but the file ends at \d+ \(truncated download\?\)$/);
  });

  test('unsupported tensor types are all listed', async () => {
    const b = good();
    const dv = new DataView(b.buffer);
    dv.setUint32(typeFieldOffset(b, 'blk.0.attn_q.weight', 2), 6, true); // Q5_0
    dv.setUint32(typeFieldOffset(b, 'blk.1.ffn_down.weight', 2), 23, true); // IQ4_XS
    const e = await gguFError(readGgufHeader(bytesSource(b)));
    expect(e.code).toBe('unsupported-types');
    expect(e.message).toBe(
      '2 tensor(s) use types tokenbench cannot read (Q5_0, IQ4_XS); supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K. ' +
        'Tensors: blk.0.attn_q.weight (Q5_0), blk.1.ffn_down.weight (IQ4_XS)',
    );
    const h = await readGgufHeader(bytesSource(b), { allowUnsupportedTypes: true });
    expect(h.tensors.find((t) => t.name === 'blk.0.attn_q.weight')).toMatchObject({ typeName: 'Q5_0', format: null, bytes: 0 });
  });

  test('a misaligned tensor offset', async () => {
    const b = good();
    new DataView(b.buffer).setBigUint64(typeFieldOffset(b, 'blk.0.attn_k.weight', 2) + 4, 12345n, true);
    const e = await gguFError(readGgufHeader(bytesSource(b)));
    expect(e.message).toBe('tensor "blk.0.attn_k.weight" starts at data offset 12345, not a multiple of the alignment 32');
  });

  test('overlapping tensors', async () => {
    const b = good();
    new DataView(b.buffer).setBigUint64(typeFieldOffset(b, 'blk.0.attn_k.weight', 2) + 4, 0n, true);
    const e = await gguFError(readGgufHeader(bytesSource(b)));
    expect(e.message).toBe('tensors "token_embd.weight" and "blk.0.attn_k.weight" overlap');
  });

  test('an unknown architecture is named, with the supported ones', async () => {
    const { spec, vocab } = FIXTURES.llama;
    const file = syntheticGguf(spec, { format: 'f32', vocab });
    file.metadata[0] = ['general.architecture', gv.str('gemma3')];
    const h = await readGgufHeader(bytesSource(ggufBytes(file)));
    expect(() => archFromGguf(h)).toThrow('GGUF architecture "gemma3" is not supported; supported: llama, qwen2, qwen3, phi3');
  });

  test('missing metadata is named', async () => {
    const { spec, vocab } = FIXTURES.qwen3;
    const file = syntheticGguf(spec, { format: 'f32', vocab });
    file.metadata = file.metadata.filter(([k]) => k !== 'qwen3.block_count');
    const h = await readGgufHeader(bytesSource(ggufBytes(file)));
    expect(() => archFromGguf(h)).toThrow('GGUF metadata "qwen3.block_count" is missing');
  });

  test('tensors that do not fit the metadata are listed', () => {
    const spec = FIXTURES.qwen3.spec;
    const tensors = tensorPlan(spec)
      .filter((t) => t.name !== 'blk.1.attn_k_norm.weight')
      .map((t) => (t.name === 'blk.0.ffn_up.weight' ? { ...t, dims: [256, 500] } : t));
    tensors.push({ name: 'blk.0.ffn_gate_inp.weight', role: 'ffn_gate', layer: 0, dims: [256, 8] });
    expect(() => checkTensors(spec, tensors)).toThrow(
      'qwen3 "tiny-qwen3" tensors do not match its metadata: missing: blk.1.attn_k_norm.weight; ' +
        'not part of a qwen3 model tokenbench runs: blk.0.ffn_gate_inp.weight; blk.0.ffn_up.weight is [256, 500], expected [256, 512]',
    );
  });

  test('a vocabulary whose size differs from the embedding', async () => {
    const { spec } = FIXTURES.llama;
    const file = syntheticGguf(spec, { format: 'f32', vocab: FIXTURES.llama.vocab });
    const tokens = file.metadata.find(([k]) => k === 'tokenizer.ggml.tokens')!;
    tokens[1] = gv.array('string', (tokens[1].value as string[]).slice(0, 300));
    const h = await readGgufHeader(bytesSource(ggufBytes(file)));
    expect(() => archFromGguf(h)).toThrow('llama: the tokenizer has 300 tokens but token_embd.weight has 301 rows');
  });
});

describe('tensor names map to roles', () => {
  test.each([
    ['token_embd.weight', 'token_embd', null],
    ['output.weight', 'output', null],
    ['blk.0.attn_qkv.weight', 'attn_qkv', 0],
    ['blk.12.attn_q.bias', 'attn_q_bias', 12],
    ['blk.3.attn_k_norm.weight', 'attn_k_norm', 3],
    ['blk.1.ffn_up.weight', 'ffn_up', 1],
  ])('%s → %s', (name, role, layer) => {
    expect(tensorRole(name)).toEqual({ role, layer });
  });

  test.each(['blk.01.attn_q.weight', 'blk.0.ffn_gate_exps.weight', 'constructor', 'blk.x.attn_q.weight'])('%s has no role', (name) => {
    expect(tensorRole(name)).toBeNull();
  });
});
