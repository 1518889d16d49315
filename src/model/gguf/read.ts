/**
 * GGUF header reader: magic, version, typed metadata and the tensor table, read through ranged reads so a
 * memory preflight can run before any weight is loaded. Layout (little-endian): "GGUF", u32 version,
 * u64 tensor count, u64 metadata count, metadata (string key, u32 type, value), tensor infos (string name,
 * u32 n_dims, u64 dims[n_dims], u32 type, u64 offset relative to the data start), padding to the
 * alignment, tensor data. Strings are a u64 byte length and UTF-8 bytes; arrays a u32 item type, a u64
 * count and the items.
 */
import { type GgufFormat, FORMATS, formatOfGgmlType, ggmlTypeName } from '../formats/table';
import type { ByteSource } from './source';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPES,
  GGUF_VERSIONS,
  type GgufArray,
  GgufError,
  type GgufHeader,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueType,
} from './types';

/** Bytes fetched per read while parsing the header. */
const HEADER_CHUNK_BYTES = 1 << 20;
/** GGML tensors have at most 4 dimensions. */
const MAX_DIMS = 4;

/** Sequential reads over a ByteSource with a refillable window. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.buf.buffer);
  /** File offset of buf[0]. */
  private base = 0;
  pos = 0;

  constructor(private readonly src: ByteSource) {}

  /** Makes `n` bytes from `pos` available, or throws 'truncated' naming `what`. */
  async need(n: number, what: string): Promise<number> {
    const at = this.pos - this.base;
    if (at + n <= this.buf.length) return at;
    if (this.pos + n > this.src.size) {
      throw new GgufError('truncated', `truncated GGUF: ${what} needs ${n} bytes at offset ${this.pos}, but the file ends at ${this.src.size}`);
    }
    const got = await this.src.read(this.pos, Math.max(n, HEADER_CHUNK_BYTES));
    if (got.length < n) throw new GgufError('truncated', `truncated GGUF: reading ${what} at offset ${this.pos} returned ${got.length} of ${n} bytes`);
    this.buf = got;
    this.dv = new DataView(got.buffer, got.byteOffset, got.byteLength);
    this.base = this.pos;
    return 0;
  }

  async u32(what: string): Promise<number> {
    const at = await this.need(4, what);
    this.pos += 4;
    return this.dv.getUint32(at, true);
  }

  async u64(what: string): Promise<bigint> {
    const at = await this.need(8, what);
    this.pos += 8;
    return this.dv.getBigUint64(at, true);
  }

  /** A u64 that must be a count or size no larger than `max`. */
  async count(what: string, max: number): Promise<number> {
    const v = await this.u64(what);
    if (v > BigInt(max)) throw new GgufError('bad-header', `${what} is ${v}, more than the file could hold (${max})`);
    return Number(v);
  }

  async string(what: string): Promise<string> {
    const len = await this.count(`the length of ${what}`, this.src.size);
    const at = await this.need(len, what);
    this.pos += len;
    return decoder.decode(this.buf.subarray(at, at + len));
  }

  async scalar(type: GgufValueType, what: string): Promise<number | bigint | boolean | string> {
    if (type === 'string') return this.string(what);
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw new GgufError('bad-header', `${what}: a value of type ${type} cannot be read as a scalar`);
    const at = await this.need(size, what);
    this.pos += size;
    const dv = this.dv;
    switch (type) {
      case 'u8': return dv.getUint8(at);
      case 'i8': return dv.getInt8(at);
      case 'u16': return dv.getUint16(at, true);
      case 'i16': return dv.getInt16(at, true);
      case 'u32': return dv.getUint32(at, true);
      case 'i32': return dv.getInt32(at, true);
      case 'f32': return dv.getFloat32(at, true);
      case 'f64': return dv.getFloat64(at, true);
      case 'u64': return dv.getBigUint64(at, true);
      case 'i64': return dv.getBigInt64(at, true);
      default: {
        const b = dv.getUint8(at);
        if (b > 1) throw new GgufError('bad-header', `${what}: a bool must be 0 or 1, found ${b}`);
        return b === 1;
      }
    }
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const SCALAR_BYTES: Partial<Record<GgufValueType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };

function valueType(id: number, what: string): GgufValueType {
  const t = GGUF_VALUE_TYPES[id];
  if (t === undefined) throw new GgufError('bad-header', `${what} has value type ${id}, which GGUF does not define (0..12)`);
  return t;
}

async function readArray(c: Cursor, what: string, size: number, depth: number): Promise<{ itemType: GgufValueType; value: GgufArray }> {
  const itemType = valueType(await c.u32(`the item type of ${what}`), what);
  const n = await c.count(`the length of ${what}`, size);
  if (itemType === 'array') {
    if (depth > 3) throw new GgufError('bad-header', `${what}: arrays nested more than 4 deep`);
    const out: GgufArray[] = [];
    for (let i = 0; i < n; i++) out.push((await readArray(c, `${what}[${i}]`, size, depth + 1)).value);
    return { itemType, value: out };
  }
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = await c.scalar(itemType, `${what}[${i}]`);
  return { itemType, value: out as GgufArray };
}

async function readValue(c: Cursor, key: string, size: number): Promise<GgufValue> {
  const type = valueType(await c.u32(`the type of metadata "${key}"`), `metadata "${key}"`);
  if (type === 'array') return { type, ...(await readArray(c, `metadata "${key}"`, size, 0)) };
  const value = await c.scalar(type, `metadata "${key}"`);
  return { type, value } as GgufValue;
}

export interface ReadHeaderOptions {
  /**
   * Return tensors of types tokenbench cannot read (format null, bytes 0) instead of throwing; for tools
   * that only describe a file.
   */
  allowUnsupportedTypes?: boolean;
}

async function readTensorInfo(c: Cursor, i: number): Promise<Omit<GgufTensorInfo, 'offset' | 'bytes'> & { rel: bigint }> {
  const name = await c.string(`the name of tensor ${i}`);
  const nDims = await c.u32(`the dimension count of tensor "${name}"`);
  if (nDims < 1 || nDims > MAX_DIMS) throw new GgufError('bad-tensor', `tensor "${name}" has ${nDims} dimensions (1..${MAX_DIMS} allowed)`);
  const dims: number[] = [];
  for (let d = 0; d < nDims; d++) dims.push(await c.count(`dimension ${d} of tensor "${name}"`, Number.MAX_SAFE_INTEGER));
  const ggmlType = await c.u32(`the type of tensor "${name}"`);
  const rel = await c.u64(`the offset of tensor "${name}"`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => d < 1) || !Number.isSafeInteger(count)) {
    throw new GgufError('bad-tensor', `tensor "${name}" has impossible dimensions [${dims.join(', ')}]`);
  }
  const cols = dims[0] as number;
  return { name, ggmlType, typeName: ggmlTypeName(ggmlType), format: formatOfGgmlType(ggmlType), dims, cols, rows: count / cols, rel };
}

function alignmentOf(meta: Map<string, GgufValue>): number {
  const v = meta.get('general.alignment');
  if (v === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (v.type !== 'u32' || v.value < 1 || (v.value & (v.value - 1)) !== 0) {
    throw new GgufError('bad-header', `general.alignment must be a u32 power of two, found ${v.type} ${String(v.value)}`);
  }
  return v.value;
}

/** Sizes and places tensors; throws for misaligned, overlapping or out-of-file data. */
function placeTensors(infos: Awaited<ReturnType<typeof readTensorInfo>>[], dataOffset: number, alignment: number, size: number): GgufTensorInfo[] {
  const tensors = infos.map(({ rel, ...t }) => {
    if (rel % BigInt(alignment) !== 0n) throw new GgufError('bad-tensor', `tensor "${t.name}" starts at data offset ${rel}, not a multiple of the alignment ${alignment}`);
    const offset = dataOffset + Number(rel);
    let bytes = 0;
    if (t.format) {
      const { blockSize, blockBytes } = FORMATS[t.format as GgufFormat];
      if (t.cols % blockSize !== 0) throw new GgufError('bad-tensor', `tensor "${t.name}" (${t.typeName}) has ${t.cols} columns, not a multiple of its block size ${blockSize}`);
      bytes = (t.cols / blockSize) * blockBytes * t.rows;
      if (offset + bytes > size) {
        throw new GgufError('truncated', `tensor "${t.name}" occupies bytes ${offset}..${offset + bytes} but the file ends at ${size} (truncated download?)`);
      }
    }
    return { ...t, offset, bytes };
  });
  const byOffset = tensors.filter((t) => t.bytes > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1] as GgufTensorInfo;
    const cur = byOffset[i] as GgufTensorInfo;
    if (prev.offset + prev.bytes > cur.offset) throw new GgufError('bad-tensor', `tensors "${prev.name}" and "${cur.name}" overlap`);
  }
  return tensors;
}

/** Throws one error listing every tensor whose type tokenbench cannot read. */
export function assertSupportedTypes(tensors: readonly GgufTensorInfo[]): void {
  const bad = tensors.filter((t) => t.format === null);
  if (bad.length === 0) return;
  const types = [...new Set(bad.map((t) => t.typeName))].join(', ');
  const list = bad.map((t) => `${t.name} (${t.typeName})`).join(', ');
  throw new GgufError(
    'unsupported-types',
    `${bad.length} tensor(s) use types tokenbench cannot read (${types}); supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K. Tensors: ${list}`,
  );
}

/**
 * Reads and validates everything before the tensor data. Throws GgufError: bad magic or version, a
 * truncated header or tensor data past the end of the file, malformed values, misaligned or overlapping
 * tensors, and (unless allowed) tensor types tokenbench cannot read, all of them listed.
 */
export async function readGgufHeader(source: ByteSource, options: ReadHeaderOptions = {}): Promise<GgufHeader> {
  const size = source.size;
  const c = new Cursor(source);
  if (size < 4) throw new GgufError('truncated', `not a GGUF file: ${size} bytes is too short to hold the magic "GGUF"`);
  const magic = await c.u32('the magic');
  if (magic !== GGUF_MAGIC) {
    const hex = [0, 8, 16, 24].map((s) => `0x${((magic >>> s) & 0xff).toString(16).padStart(2, '0')}`).join(' ');
    throw new GgufError('bad-magic', `not a GGUF file: it starts with ${hex}, not "GGUF"`);
  }
  const version = await c.u32('the version');
  const swapped = ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
  if (!GGUF_VERSIONS.includes(version) && GGUF_VERSIONS.includes(swapped)) {
    throw new GgufError('bad-version', `this is a big-endian GGUF file (version ${swapped}); tokenbench reads little-endian GGUF only`);
  }
  if (!GGUF_VERSIONS.includes(version)) {
    throw new GgufError('bad-version', `GGUF version ${version} is not supported (${GGUF_VERSIONS.join(' or ')}); re-convert the model with a current llama.cpp`);
  }
  // Each tensor info takes at least 8 + 4 + 8 + 4 + 8 bytes, each metadata entry 8 + 4 + 1.
  const nTensors = await c.count('the tensor count', Math.floor(size / 32));
  const nKv = await c.count('the metadata count', Math.floor(size / 13));
  const meta = new Map<string, GgufValue>();
  for (let i = 0; i < nKv; i++) {
    const key = await c.string(`metadata key ${i}`);
    if (meta.has(key)) throw new GgufError('bad-header', `metadata key "${key}" appears twice`);
    meta.set(key, await readValue(c, key, size));
  }
  const infos = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const t = await readTensorInfo(c, i);
    if (names.has(t.name)) throw new GgufError('bad-tensor', `tensor "${t.name}" appears twice`);
    names.add(t.name);
    infos.push(t);
  }
  const alignment = alignmentOf(meta);
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors = placeTensors(infos, dataOffset, alignment, size);
  if (!options.allowUnsupportedTypes) assertSupportedTypes(tensors);
  return { version, metadata: meta, tensors, alignment, dataOffset, fileSize: size };
}
