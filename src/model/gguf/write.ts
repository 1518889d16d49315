/**
 * GGUF v3 writer: header, typed metadata, tensor infos and aligned tensor data, produced as a sequence of
 * chunks (ggufChunks) so a large file can be streamed to disk (write-node.ts) without being held whole;
 * ggufBytes joins them for small files and tests. Tensor data is either bytes or a function producing
 * them, called only when its turn comes.
 */
import { type GgufFormat, FORMATS, tensorBytes } from '../formats/table';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPES, type GgufArray, type GgufValue, type GgufValueType } from './types';

export interface GgufTensorInput {
  name: string;
  format: GgufFormat;
  /** GGML order: [cols, rows, ...]. */
  dims: number[];
  /** Encoded bytes (quantised as `format`), or a function returning them when the writer reaches them. */
  data: Uint8Array | (() => Uint8Array);
}

export interface GgufFileInput {
  /** In the order to write; general.alignment, if present, must be a u32 and sets the alignment. */
  metadata: [key: string, value: GgufValue][];
  tensors: GgufTensorInput[];
}

/** Builders for typed metadata values. */
export const gv = {
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  u64: (value: bigint | number): GgufValue => ({ type: 'u64', value: BigInt(value) }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  array: (itemType: Exclude<GgufValueType, 'array'>, value: GgufArray): GgufValue => ({ type: 'array', itemType, value }),
};

const encoder = new TextEncoder();

/** A growable little-endian byte writer for the header. */
class Out {
  private buf: Uint8Array = new Uint8Array(1 << 16);
  private dv: DataView = new DataView(this.buf.buffer);
  len = 0;

  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  // Reserve first, then read this.dv: `this.dv.set...(this.room(n), ...)` would use the view from before a grow.
  u8(v: number): void { const at = this.room(1); this.dv.setUint8(at, v); }
  i8(v: number): void { const at = this.room(1); this.dv.setInt8(at, v); }
  u16(v: number): void { const at = this.room(2); this.dv.setUint16(at, v, true); }
  i16(v: number): void { const at = this.room(2); this.dv.setInt16(at, v, true); }
  u32(v: number): void { const at = this.room(4); this.dv.setUint32(at, v, true); }
  i32(v: number): void { const at = this.room(4); this.dv.setInt32(at, v, true); }
  f32(v: number): void { const at = this.room(4); this.dv.setFloat32(at, v, true); }
  f64(v: number): void { const at = this.room(8); this.dv.setFloat64(at, v, true); }
  u64(v: bigint | number): void { const at = this.room(8); this.dv.setBigUint64(at, BigInt(v), true); }
  i64(v: bigint | number): void { const at = this.room(8); this.dv.setBigInt64(at, BigInt(v), true); }
  bytes(b: Uint8Array): void { const at = this.room(b.length); this.buf.set(b, at); }
  string(s: string): void {
    const b = encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void { this.room((alignment - (this.len % alignment)) % alignment); }
  result(): Uint8Array { return this.buf.slice(0, this.len); }
}

function writeScalar(o: Out, type: GgufValueType, v: unknown, key: string): void {
  const num = (): number => {
    if (typeof v !== 'number') throw new Error(`metadata "${key}": a ${type} needs a number, got ${typeof v}`);
    return v;
  };
  switch (type) {
    case 'u8': return o.u8(num());
    case 'i8': return o.i8(num());
    case 'u16': return o.u16(num());
    case 'i16': return o.i16(num());
    case 'u32': return o.u32(num());
    case 'i32': return o.i32(num());
    case 'f32': return o.f32(num());
    case 'f64': return o.f64(num());
    case 'u64': return o.u64(v as bigint | number);
    case 'i64': return o.i64(v as bigint | number);
    case 'bool': return o.u8(v ? 1 : 0);
    case 'string': return o.string(String(v));
    case 'array': throw new Error(`metadata "${key}": nested arrays are written through writeArray`);
  }
}

function writeArray(o: Out, itemType: GgufValueType, items: GgufArray, key: string): void {
  o.u32(GGUF_VALUE_TYPES.indexOf(itemType));
  o.u64(items.length);
  for (const item of items) {
    if (itemType === 'array') {
      const inner = item as GgufArray;
      // Nested arrays carry their own item type; infer it from the first item.
      const first = inner[0];
      const t: GgufValueType = typeof first === 'string' ? 'string' : typeof first === 'bigint' ? 'i64' : typeof first === 'boolean' ? 'bool' : Array.isArray(first) ? 'array' : 'f32';
      writeArray(o, t, inner, key);
    } else {
      writeScalar(o, itemType, item, key);
    }
  }
}

function alignmentOf(metadata: GgufFileInput['metadata']): number {
  const a = metadata.find(([k]) => k === 'general.alignment')?.[1];
  if (a === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (a.type !== 'u32' || a.value < 1 || (a.value & (a.value - 1)) !== 0) throw new Error('general.alignment must be a u32 power of two');
  return a.value;
}

/** Checks names, shapes and byte lengths; returns each tensor's byte length and offset in the data. */
function layout(file: GgufFileInput, alignment: number): { bytes: number; offset: number }[] {
  const keys = new Set<string>();
  for (const [k] of file.metadata) {
    if (keys.has(k)) throw new Error(`metadata key "${k}" given twice`);
    keys.add(k);
  }
  const names = new Set<string>();
  let offset = 0;
  return file.tensors.map((t) => {
    if (names.has(t.name)) throw new Error(`tensor "${t.name}" given twice`);
    names.add(t.name);
    if (t.dims.length < 1 || t.dims.length > 4 || t.dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`tensor "${t.name}": bad dims [${t.dims.join(', ')}]`);
    }
    const [cols, ...rest] = t.dims as [number, ...number[]];
    const bytes = tensorBytes(t.format, rest.reduce((a, b) => a * b, 1), cols);
    const at = offset;
    offset += Math.ceil(bytes / alignment) * alignment;
    return { bytes, offset: at };
  });
}

function header(file: GgufFileInput, places: { offset: number }[], alignment: number): Uint8Array {
  const o = new Out();
  o.u32(GGUF_MAGIC);
  o.u32(3);
  o.u64(file.tensors.length);
  o.u64(file.metadata.length);
  for (const [key, v] of file.metadata) {
    o.string(key);
    o.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    if (v.type === 'array') writeArray(o, v.itemType, v.value, key);
    else writeScalar(o, v.type, v.value, key);
  }
  file.tensors.forEach((t, i) => {
    o.string(t.name);
    o.u32(t.dims.length);
    for (const d of t.dims) o.u64(d);
    o.u32(FORMATS[t.format].ggmlType);
    o.u64((places[i] as { offset: number }).offset);
  });
  o.pad(alignment);
  return o.result();
}

/** The file as chunks: the header (padded), then each tensor's data followed by its padding. */
export function* ggufChunks(file: GgufFileInput): Generator<Uint8Array> {
  const alignment = alignmentOf(file.metadata);
  const places = layout(file, alignment);
  yield header(file, places, alignment);
  for (const [i, t] of file.tensors.entries()) {
    const data = typeof t.data === 'function' ? t.data() : t.data;
    const { bytes } = places[i] as { bytes: number };
    if (data.length !== bytes) throw new Error(`tensor "${t.name}" (${t.format} [${t.dims.join(', ')}]) needs ${bytes} bytes, got ${data.length}`);
    yield data;
    const pad = (alignment - (bytes % alignment)) % alignment;
    if (pad && i < file.tensors.length - 1) yield new Uint8Array(pad);
  }
}

/** The whole file in memory (small models, tests). */
export function ggufBytes(file: GgufFileInput): Uint8Array {
  const chunks = [...ggufChunks(file)];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
