/**
 * Streaming GGUF rows into GPU parts (src/model/gguf/upload.ts) without a GPU: a recording queue checks
 * that every write obeys WebGPU's 4-byte rule and that the parts end up holding the GPU layout of the rows
 * in their destination order, whatever order and grouping the rows arrive in; the routes put q/k rows,
 * gate/up rows and biases where the kernels read them.
 */
import { describe, expect, test } from 'vitest';
import type { QTensor, WeightFormat } from '../../src/core/tensor';
import { packRows } from '../../src/model/formats/pack';
import { rowBytes } from '../../src/model/formats/table';
import { modelSpec, ropeRowPermutation } from '../../src/model/gguf/arch';
import { MatrixFiller, type ModelTargets, routeTensor } from '../../src/model/gguf/upload';

/** A fake buffer: its bytes, as the queue wrote them. */
interface FakeBuffer {
  label: string;
  bytes: Uint8Array;
}

function fakeBuffer(label: string, size: number): GPUBuffer {
  return { label, bytes: new Uint8Array(Math.ceil(size / 4) * 4) } as unknown as GPUBuffer;
}

/** A queue that applies writeBuffer to fake buffers, checking WebGPU's alignment rules. */
function recordingQueue(): GPUQueue & { writes: number } {
  const q = {
    writes: 0,
    writeBuffer(buffer: GPUBuffer, offset: number, data: Uint8Array) {
      if (offset % 4 !== 0 || data.byteLength % 4 !== 0) throw new Error(`unaligned write of ${data.byteLength} bytes at ${offset}`);
      const b = buffer as unknown as FakeBuffer;
      if (offset + data.byteLength > b.bytes.length) throw new Error(`write past the end of ${b.label}`);
      b.bytes.set(data, offset);
      q.writes++;
    },
  };
  return q as unknown as GPUQueue & { writes: number };
}

/** A matrix of `rows` x `cols` in `format`, split into parts of `partRows` rows, on fake buffers. */
function fakeMatrix(format: WeightFormat, rows: number, cols: number, partRows: number): QTensor {
  const parts: QTensor['parts'] = [];
  for (let r = 0; r < rows; r += partRows) {
    const n = Math.min(partRows, rows - r);
    const packed = packRows(format, new Uint8Array(n * rowBytes(format, cols)), cols, n);
    parts.push({ rowStart: r, rows: n, data: fakeBuffer(`p${r}.data`, packed.data.length), scales: packed.scales ? fakeBuffer(`p${r}.scales`, packed.scales.length) : null });
  }
  return { label: `m.${format}`, format, rows, cols, parts };
}

/** Random GGUF bytes of `rows` rows (any bytes are a valid block for these tests: only placement is checked). */
function randomRows(format: WeightFormat, rows: number, cols: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: rows * rowBytes(format, cols) }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
}

/** What the parts of `m` hold, concatenated (data, then scales). */
function held(m: QTensor): { data: number[]; scales: number[] } {
  const part = (p: QTensor['parts'][number], rows: number, what: 'data' | 'scales') => {
    const b = (p[what] as unknown as FakeBuffer | null)?.bytes;
    const per = what === 'data' ? packRows(m.format, new Uint8Array(rowBytes(m.format, m.cols)), m.cols, 1).data.length : (packRows(m.format, new Uint8Array(rowBytes(m.format, m.cols)), m.cols, 1).scales?.length ?? 0);
    return b ? [...b.subarray(0, rows * per)] : [];
  };
  return { data: m.parts.flatMap((p) => part(p, p.rows, 'data')), scales: m.parts.flatMap((p) => part(p, p.rows, 'scales')) };
}

describe('MatrixFiller', () => {
  // q6_k and q4_0/q8_0 with an odd number of blocks per row: 2-byte scale rows that end between words.
  test.each<[WeightFormat, number, number, number]>([
    ['q6_k', 256, 11, 3],
    ['q8_0', 96, 13, 5],
    ['q4_0', 32, 9, 4],
    ['f16', 8, 7, 7],
    ['q4_k', 256, 5, 2],
  ])('%s, %i columns, %i rows in parts of %i: rows in any order end up in place, every write aligned', (format, cols, rows, partRows) => {
    const bytes = randomRows(format, rows, cols, rows * cols);
    const expected = packRows(format, bytes, cols, rows);
    for (const order of [[...Array(rows).keys()], [...Array(rows).keys()].reverse(), [...Array(rows).keys()].sort((a, b) => ((a * 7) % rows) - ((b * 7) % rows))]) {
      const m = fakeMatrix(format, rows, cols, partRows);
      const queue = recordingQueue();
      const filler = new MatrixFiller(queue);
      for (const r of order) filler.put([m], format, r, 1, packRows(format, bytes, cols, 1, undefined, 0, r * rowBytes(format, cols)));
      filler.assertComplete([[m]]);
      expect(held(m).data).toEqual([...expected.data]);
      expect(held(m).scales).toEqual([...(expected.scales ?? [])]);
    }
  });

  test('a run across parts is split, and a row given twice or a missing row is an error', () => {
    const format = 'q8_0';
    const cols = 32;
    const m = fakeMatrix(format, 10, cols, 4);
    const bytes = randomRows(format, 10, cols, 3);
    const filler = new MatrixFiller(recordingQueue());
    filler.put([m], format, 0, 7, packRows(format, bytes, cols, 7));
    expect(() => filler.put([m], format, 6, 1, packRows(format, bytes, cols, 1, undefined, 0, 6 * rowBytes(format, cols)))).toThrow(/twice/);
    expect(() => filler.assertComplete([[m]])).toThrow(/rows 6\.\.7 were never loaded/) // row 6 waits for row 7 (its scales end mid-word);
    expect(() => filler.put([m], 'q4_0', 7, 1, packRows('q4_0', new Uint8Array(18), cols, 1))).toThrow(/q8_0 on the GPU but q4_0 in the file/);
  });
});

describe('routes put rows where the kernels read them', () => {
  const buf = (label: string) => fakeBuffer(label, 4);
  const targets = (): ModelTargets => ({
    embedding: [],
    lmHead: [],
    finalNorm: buf('final'),
    layers: [{ qkv: [], o: [], gateUp: [], down: [], attnNorm: buf('an'), ffnNorm: buf('fn'), qkvBias: buf('bias'), qkNorm: buf('qkn') }],
  });
  const arch = { name: 't', hidden: 64, ffn: 96, layers: 1, heads: 4, kvHeads: 2, headDim: 16, vocab: 50, tiedEmbeddings: false, qkvBias: false, ropeTheta: 1e4, normEps: 1e-5 };

  test('llama (interleaved RoPE): q and k rows permuted within each head, v rows after them', () => {
    const spec = modelSpec('llama', arch);
    const t = targets();
    const q = routeTensor(spec, 'blk.0.attn_q.weight', t);
    const k = routeTensor(spec, 'blk.0.attn_k.weight', t);
    const v = routeTensor(spec, 'blk.0.attn_v.weight', t);
    if (q.kind !== 'matrix' || k.kind !== 'matrix' || v.kind !== 'matrix') throw new Error('matrix routes expected');
    const perm = ropeRowPermutation(16);
    // Destination row r of each head holds file row perm[r] (the permutation the rotate-half kernel needs).
    for (let h = 0; h < 4; h++) for (let r = 0; r < 16; r++) expect(q.row(h * 16 + (perm[r] as number))).toBe(h * 16 + r);
    for (let h = 0; h < 2; h++) for (let r = 0; r < 16; r++) expect(k.row(h * 16 + (perm[r] as number))).toBe(64 + h * 16 + r);
    expect(Array.from({ length: 32 }, (_, r) => v.row(r))).toEqual(Array.from({ length: 32 }, (_, r) => 96 + r));
  });

  test('qwen2 (neox): q/k/v rows and biases stacked as they are', () => {
    const spec = modelSpec('qwen2', { ...arch, qkvBias: true });
    const t = targets();
    const k = routeTensor(spec, 'blk.0.attn_k.weight', t);
    const vb = routeTensor(spec, 'blk.0.attn_v.bias', t);
    if (k.kind !== 'matrix' || vb.kind !== 'vector') throw new Error('routes expected');
    expect(Array.from({ length: 32 }, (_, r) => k.row(r))).toEqual(Array.from({ length: 32 }, (_, r) => 64 + r));
    expect(vb.at).toBe(96);
    expect(vb.index(5)).toBe(5);
  });

  test('gate/up interleaved by rows: separate tensors and phi3\'s stacked ffn_up', () => {
    const llama = modelSpec('llama', arch);
    const phi3 = modelSpec('phi3', arch);
    const t = targets();
    const gate = routeTensor(llama, 'blk.0.ffn_gate.weight', t);
    const up = routeTensor(llama, 'blk.0.ffn_up.weight', t);
    const fused = routeTensor(phi3, 'blk.0.ffn_up.weight', t);
    if (gate.kind !== 'matrix' || up.kind !== 'matrix' || fused.kind !== 'matrix') throw new Error('matrix routes expected');
    expect([gate.row(0), gate.row(5), up.row(0), up.row(5)]).toEqual([0, 10, 1, 11]);
    expect([fused.row(0), fused.row(5), fused.row(96), fused.row(101)]).toEqual([0, 10, 1, 11]);
  });

  test('qwen3: per-head q and k norm weights side by side; rope_freqs is read apart', () => {
    const spec = modelSpec('qwen3', arch);
    const t = targets();
    const qn = routeTensor(spec, 'blk.0.attn_q_norm.weight', t);
    const kn = routeTensor(spec, 'blk.0.attn_k_norm.weight', t);
    if (qn.kind !== 'vector' || kn.kind !== 'vector') throw new Error('vector routes expected');
    expect([qn.at, kn.at, qn.index(3)]).toEqual([0, 16, 3]);
    expect(routeTensor(spec, 'rope_freqs.weight', t).kind).toBe('skip');
    expect(() => routeTensor(spec, 'blk.1.attn_norm.weight', t)).toThrow(/1 layers/);
    expect(() => routeTensor(spec, 'blk.0.ssm_a', t)).toThrow(/not part of a model/);
  });
});
