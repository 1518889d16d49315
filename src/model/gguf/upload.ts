/**
 * A GGUF file's tensors streamed into a GPU model's buffers, chunk by chunk (stream.ts), never the whole
 * file in memory: each chunk's rows are packed into the GPU layout of their format (formats/pack.ts) and
 * written where the model's kernels read them, with the row transforms those kernels need:
 * - q, k and v (and their biases) stacked into the fused QKV matrix, rows [q; k; v] (phi3's attn_qkv is
 *   already stacked);
 * - llama's interleaved RoPE: q and k rows (biases, per-head norms) permuted within each head
 *   (ropeRowPermutation), so the rotate-half kernel computes interleaved RoPE on the file's weights;
 * - gate and up interleaved by rows (row 2i gate_i, 2i + 1 up_i), from ffn_gate and ffn_up or from phi3's
 *   stacked [gate; up] ffn_up;
 * - a tied head reads the embedding (nothing is copied).
 * Rows wait in memory only until the rows before them in their buffer have arrived (a run is written as
 * soon as it is contiguous): at most one chunk for in-order tensors, one head for permuted q/k rows, and
 * the gate half of a gate/up matrix until its up rows arrive.
 */
import { queueDone } from '../../gpu/buffers';
import { type CancelSignal, throwIfCancelled } from '../../gpu/errors';
import { type QTensor, type QTensorPart, dataBytes, scaleBytes } from '../../core/tensor';
import { dequantizeRows } from '../formats/dequant';
import { type PackedPart, allocPacked, packRows } from '../formats/pack';
import { rowBytes } from '../formats/table';
import { type ModelSpec, ropeRowPermutation, tensorRole } from './arch';
import type { ByteSource } from './source';
import { DEFAULT_CHUNK_BYTES, type TensorChunk, streamGgufTensors } from './stream';
import type { GgufHeader, GgufTensorInfo } from './types';

/** A weight matrix on the GPU: one QTensor per format segment (row range), usually one. */
export type MatrixTarget = readonly QTensor[];

/** The buffers of one layer a file fills. */
export interface LayerTargets {
  qkv: MatrixTarget;
  o: MatrixTarget;
  gateUp: MatrixTarget;
  down: MatrixTarget;
  attnNorm: GPUBuffer;
  ffnNorm: GPUBuffer;
  /** f32 [nq + 2 nkv], sliced like qkv. */
  qkvBias: GPUBuffer | null;
  /** f32 [2 headDim]: the q heads' norm weights, then the k heads'. */
  qkNorm: GPUBuffer | null;
}

/** Every buffer of a model a file fills (a tied head has none of its own). */
export interface ModelTargets {
  embedding: MatrixTarget;
  lmHead: MatrixTarget | null;
  finalNorm: GPUBuffer;
  layers: LayerTargets[];
}

/** Where a tensor's rows (a matrix) or values (a vector) go. */
type Route =
  | { kind: 'matrix'; target: MatrixTarget; row: (src: number) => number }
  | { kind: 'vector'; target: GPUBuffer; at: number; index: (i: number) => number }
  | { kind: 'skip' };

/** Row r of a head → the row it takes in the permuted head (the inverse of ropeRowPermutation). */
function headRowMap(headDim: number): (r: number) => number {
  const perm = ropeRowPermutation(headDim);
  const inverse = new Array<number>(headDim);
  perm.forEach((from, to) => (inverse[from] = to));
  return (r) => Math.floor(r / headDim) * headDim + (inverse[r % headDim] as number);
}

/** The route of each tensor of a file whose spec is `spec` into `targets`. */
export function routeTensor(spec: ModelSpec, name: string, targets: ModelTargets): Route {
  const at = tensorRole(name) ?? fail(`tensor "${name}" is not part of a model tokenbench runs`);
  const nq = spec.heads * spec.headDim;
  const nkv = spec.kvHeads * spec.headDim;
  const id = (r: number) => r;
  const head = spec.ropeStyle === 'interleaved' ? headRowMap(spec.headDim) : id;
  const matrix = (target: MatrixTarget, row: (r: number) => number = id): Route => ({ kind: 'matrix', target, row });
  const vector = (target: GPUBuffer | null, offset = 0, index: (i: number) => number = id): Route =>
    target ? { kind: 'vector', target, at: offset, index } : fail(`tensor "${name}" has no place in this model`);
  if (at.layer === null) {
    if (at.role === 'token_embd') return matrix(targets.embedding);
    if (at.role === 'output') return matrix(targets.lmHead ?? fail('output.weight in a model with a tied head'));
    if (at.role === 'output_norm') return vector(targets.finalNorm);
    return { kind: 'skip' }; // rope_freqs: read before loading (ropeFactors)
  }
  const L = targets.layers[at.layer] ?? fail(`tensor "${name}": the model has ${targets.layers.length} layers`);
  switch (at.role) {
    case 'attn_norm': return vector(L.attnNorm);
    case 'ffn_norm': return vector(L.ffnNorm);
    case 'attn_q': return matrix(L.qkv, head);
    case 'attn_k': return matrix(L.qkv, (r) => nq + head(r));
    case 'attn_v': return matrix(L.qkv, (r) => nq + nkv + r);
    case 'attn_qkv': return matrix(L.qkv, (r) => (r < nq ? head(r) : r < nq + nkv ? nq + head(r - nq) : r));
    case 'attn_q_bias': return vector(L.qkvBias, 0, head);
    case 'attn_k_bias': return vector(L.qkvBias, nq, head);
    case 'attn_v_bias': return vector(L.qkvBias, nq + nkv);
    case 'attn_q_norm': return vector(L.qkNorm, 0, head);
    case 'attn_k_norm': return vector(L.qkNorm, spec.headDim, head);
    case 'attn_output': return matrix(L.o);
    case 'ffn_down': return matrix(L.down);
    case 'ffn_gate': return matrix(L.gateUp, (r) => 2 * r);
    case 'ffn_up': return matrix(L.gateUp, spec.fusedGateUp ? (r) => (r < spec.ffn ? 2 * r : 2 * (r - spec.ffn) + 1) : (r) => 2 * r + 1);
    default: return fail(`tensor "${name}" (${at.role}) has no place in a layer`);
  }
}

function fail(why: string): never {
  throw new Error(why);
}

/** Rows of one part waiting for the rows before them. */
interface Pending {
  rows: number;
  packed: PackedPart;
}

/** One GPU part of a matrix being filled: rows before `next` are written, later ones wait in `pending`. */
class PartFill {
  next = 0;
  readonly pending = new Map<number, Pending>();
  readonly dataPerRow: number;
  readonly scalesPerRow: number;

  constructor(
    readonly tensor: QTensor,
    readonly part: QTensorPart,
  ) {
    this.dataPerRow = dataBytes(tensor.format, tensor.cols);
    this.scalesPerRow = scaleBytes(tensor.format, tensor.cols);
  }

  /**
   * Writes the contiguous rows from `next` on; a run that would end a scale array between its 4-byte words
   * (2-byte f16 scales of an odd number of blocks) keeps its last row back until the next row arrives.
   * Returns the bytes written.
   */
  flush(queue: GPUQueue): number {
    const runs: Pending[] = [];
    let end = this.next;
    for (let p = this.pending.get(end); p; p = this.pending.get(end)) {
      runs.push(p);
      this.pending.delete(end);
      end += p.rows;
    }
    if (!runs.length) return 0;
    let writeEnd = end;
    if (end < this.part.rows && (end * this.scalesPerRow) % 4 !== 0) writeEnd = end - 1;
    const n = writeEnd - this.next;
    if (n > 0) {
      const data = concat(runs.map((r) => r.packed.data), n * this.dataPerRow);
      queue.writeBuffer(this.part.data, this.next * this.dataPerRow, data);
      if (this.part.scales) {
        const scales = concat(runs.map((r) => r.packed.scales as Uint8Array), n * this.scalesPerRow, 4);
        queue.writeBuffer(this.part.scales, this.next * this.scalesPerRow, scales);
      }
    }
    if (writeEnd < end) this.pending.set(writeEnd, { rows: 1, packed: rowOf(runs[runs.length - 1] as Pending, this) });
    this.next = writeEnd;
    return n * (this.dataPerRow + this.scalesPerRow);
  }
}

/** The last row of a pending run, as a run of its own. */
function rowOf(run: Pending, fill: PartFill): PackedPart {
  const r = run.rows - 1;
  const { data, scales } = run.packed;
  return {
    data: data.subarray(r * fill.dataPerRow, (r + 1) * fill.dataPerRow),
    scales: scales ? scales.subarray(r * fill.scalesPerRow, (r + 1) * fill.scalesPerRow) : null,
  };
}

/** The first `bytes` bytes of the arrays one after another, zero-padded to a multiple of `pad`. */
function concat(arrays: readonly Uint8Array[], bytes: number, pad = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.ceil(bytes / pad) * pad);
  let at = 0;
  for (const a of arrays) {
    if (at >= bytes) break;
    const take = a.subarray(0, Math.min(a.length, bytes - at));
    out.set(take, at);
    at += take.length;
  }
  return out;
}

/** Rows [from, from + n) of a packed run, as views. */
function sliceRows(p: PackedPart, from: number, n: number, fill: PartFill): PackedPart {
  return {
    data: p.data.subarray(from * fill.dataPerRow, (from + n) * fill.dataPerRow),
    scales: p.scales ? p.scales.subarray(from * fill.scalesPerRow, (from + n) * fill.scalesPerRow) : null,
  };
}

/** Fills the parts of the model's matrices from packed runs of rows, writing each as soon as it is contiguous. */
export class MatrixFiller {
  private readonly fills = new Map<QTensor, PartFill[]>();

  constructor(private readonly queue: GPUQueue) {}

  private partsOf(target: MatrixTarget): PartFill[] {
    return target.flatMap((t) => {
      let f = this.fills.get(t);
      if (!f) this.fills.set(t, (f = t.parts.map((p) => new PartFill(t, p))));
      return f;
    });
  }

  /**
   * Rows [dest, dest + rows) of `target`, packed in the GPU layout of `format` (their segment's format).
   * Returns the bytes written to the GPU (rows waiting for earlier ones are written later).
   */
  put(target: MatrixTarget, format: QTensor['format'], dest: number, rows: number, packed: PackedPart): number {
    let written = 0;
    for (let done = 0; done < rows; ) {
      const row = dest + done;
      const fill = this.partsOf(target).find((f) => row >= f.part.rowStart && row < f.part.rowStart + f.part.rows);
      if (!fill) throw new Error(`row ${row} is outside ${target[0]?.label ?? 'the matrix'}`);
      if (fill.tensor.format !== format) throw new Error(`${fill.tensor.label}: row ${row} is ${fill.tensor.format} on the GPU but ${format} in the file`);
      const n = Math.min(rows - done, fill.part.rowStart + fill.part.rows - row);
      const rel = row - fill.part.rowStart;
      if (rel < fill.next || fill.pending.has(rel)) throw new Error(`${fill.tensor.label}: row ${row} arrived twice`);
      fill.pending.set(rel, { rows: n, packed: sliceRows(packed, done, n, fill) });
      written += fill.flush(this.queue);
      done += n;
    }
    return written;
  }

  /** Throws unless every part of every matrix given is complete. */
  assertComplete(targets: readonly MatrixTarget[]): void {
    for (const t of targets) {
      for (const f of this.partsOf(t)) {
        if (f.next !== f.part.rows) throw new Error(`${f.tensor.label}: rows ${f.part.rowStart + f.next}..${f.part.rowStart + f.part.rows - 1} were never loaded`);
      }
    }
  }
}

/** Groups of rows of a chunk whose destinations are consecutive: [first destination, source rows in order]. */
function destinationRuns(chunk: TensorChunk, row: (src: number) => number): [number, number[]][] {
  const rows = Array.from({ length: chunk.rows }, (_, j) => j);
  const dest = rows.map((j) => row(chunk.rowStart + j));
  if (dest.every((d, j) => d === (dest[0] as number) + j)) return [[dest[0] as number, rows]];
  rows.sort((a, b) => (dest[a] as number) - (dest[b] as number));
  const runs: [number, number[]][] = [];
  for (const j of rows) {
    const last = runs[runs.length - 1];
    if (last && (dest[j] as number) === last[0] + last[1].length) last[1].push(j);
    else runs.push([dest[j] as number, [j]]);
  }
  return runs;
}

/** Packs the chunk's rows `src` (in this order) into one run of the GPU layout. */
function packRun(chunk: TensorChunk, src: readonly number[]): PackedPart {
  const t = chunk.tensor;
  const format = t.format ?? fail(`tensor "${t.name}" has type ${t.typeName}, which tokenbench cannot run`);
  const rb = rowBytes(format, t.cols);
  const first = src[0] as number;
  if (src.every((j, k) => j === first + k)) return packRows(format, chunk.bytes, t.cols, src.length, undefined, 0, first * rb);
  const out = allocPacked(format, src.length, t.cols);
  const db = dataBytes(format, t.cols);
  const sb = scaleBytes(format, t.cols);
  src.forEach((j, k) => {
    const one = packRows(format, chunk.bytes, t.cols, 1, undefined, 0, j * rb);
    out.data.set(one.data, k * db);
    if (out.scales && one.scales) out.scales.set(one.scales, k * sb);
  });
  return out;
}

/** Writes a vector tensor (one chunk: a 1-D tensor is one row) as f32 values where its route says. */
function putVector(queue: GPUQueue, chunk: TensorChunk, route: Extract<Route, { kind: 'vector' }>): number {
  const t = chunk.tensor;
  const format = t.format ?? fail(`tensor "${t.name}" has type ${t.typeName}, which tokenbench cannot run`);
  if (chunk.rowStart !== 0 || chunk.rows !== t.rows || t.rows !== 1) throw new Error(`tensor "${t.name}" is not a vector`);
  const values = dequantizeRows(format, chunk.bytes, t.cols, 0, 1) as Float32Array;
  const out = new Float32Array(t.cols);
  values.forEach((v, i) => (out[route.index(i)] = v));
  queue.writeBuffer(route.target, route.at * 4, out);
  return out.byteLength;
}

export interface UploadOptions {
  /** Largest chunk read at once (default DEFAULT_CHUNK_BYTES, 16 MiB). */
  maxChunkBytes?: number;
  /** Called after each chunk with the file bytes read so far and the file's size. */
  onProgress?: (bytes: number, total: number) => void;
  signal?: CancelSignal;
  timeoutMs: number;
}

/** Bytes handed to the queue between waits for it to drain, so its staging memory stays bounded. */
const DRAIN_BYTES = 64 << 20;

/**
 * Streams every tensor of the file into `targets` (SHA-256 of the whole file on the way) and checks that
 * every matrix row and every vector was written. Returns the file's SHA-256.
 */
export async function uploadGguf(device: GPUDevice, source: ByteSource, header: GgufHeader, spec: ModelSpec, targets: ModelTargets, o: UploadOptions): Promise<string> {
  const filler = new MatrixFiller(device.queue);
  const routes = new Map<string, Route>(header.tensors.map((t) => [t.name, routeTensor(spec, t.name, targets)]));
  const vectorsLeft = new Set(header.tensors.filter((t) => routes.get(t.name)?.kind === 'vector').map((t) => t.name));
  let sinceDrain = 0;
  const onChunk = async (chunk: TensorChunk): Promise<void> => {
    throwIfCancelled(o.signal);
    const route = routes.get(chunk.tensor.name) as Route;
    if (route.kind === 'vector') {
      sinceDrain += putVector(device.queue, chunk, route);
      vectorsLeft.delete(chunk.tensor.name);
    } else if (route.kind === 'matrix') {
      for (const [dest, src] of destinationRuns(chunk, route.row)) {
        sinceDrain += filler.put(route.target, chunk.tensor.format as QTensor['format'], dest, src.length, packRun(chunk, src));
      }
    }
    if (sinceDrain >= DRAIN_BYTES) {
      sinceDrain = 0;
      await queueDone(device, o.timeoutMs, 'uploading GGUF tensors');
    }
    o.onProgress?.(chunkEnd(chunk), header.fileSize);
  };
  const { sha256 } = await streamGgufTensors(source, header, onChunk, { maxChunkBytes: o.maxChunkBytes ?? DEFAULT_CHUNK_BYTES, hash: true });
  await queueDone(device, o.timeoutMs, 'uploading GGUF tensors');
  const matrices = [targets.embedding, ...(targets.lmHead ? [targets.lmHead] : []), ...targets.layers.flatMap((l) => [l.qkv, l.o, l.gateUp, l.down])];
  filler.assertComplete(matrices);
  if (vectorsLeft.size) throw new Error(`tensors never loaded: ${[...vectorsLeft].join(', ')}`);
  o.onProgress?.(header.fileSize, header.fileSize);
  return sha256 as string;
}

/** The file offset just past a chunk. */
function chunkEnd(c: TensorChunk): number {
  return c.tensor.offset + ((c.rowStart + c.rows) * c.tensor.bytes) / c.tensor.rows;
}

/** A tensor's values as f32, read on their own (rope_freqs: needed before the model is built). */
export async function readTensorValues(source: ByteSource, t: GgufTensorInfo): Promise<Float32Array> {
  const format = t.format ?? fail(`tensor "${t.name}" has type ${t.typeName}, which tokenbench cannot read`);
  const bytes = await source.read(t.offset, t.bytes);
  if (bytes.length !== t.bytes) throw new Error(`tensor "${t.name}": read ${bytes.length} of ${t.bytes} bytes`);
  return dequantizeRows(format, bytes, t.cols, 0, t.rows) as Float32Array;
}
