/** The GGUF container: typed metadata values, tensor infos, the parsed header, and its errors. */
import type { GgufFormat } from '../formats/table';

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** Versions read; 3 is what llama.cpp writes, 2 differs only for big-endian files. */
export const GGUF_VERSIONS: readonly number[] = [2, 3];
/** Data alignment when general.alignment is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, by their id in the file. */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufNumberType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';

/** One metadata value. 64-bit integers are bigints (they may exceed 2^53); arrays keep their item type. */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufValueType; value: GgufArray };

export type GgufArray = number[] | bigint[] | boolean[] | string[] | GgufArray[];

/** Metadata by key, in file order. */
export type GgufMetadata = ReadonlyMap<string, GgufValue>;

export interface GgufTensorInfo {
  name: string;
  /** GGML type id as stored, and its name ("Q5_0"); `format` is null for a type tokenbench does not read. */
  ggmlType: number;
  typeName: string;
  format: GgufFormat | null;
  /** GGML order: dims[0] is the innermost (columns: weights per row), then rows, ... */
  dims: number[];
  /** dims[0], and the product of the other dims. */
  cols: number;
  rows: number;
  /** Absolute byte offset in the file, and byte length (0 when the format is unknown). */
  offset: number;
  bytes: number;
}

export interface GgufHeader {
  version: number;
  metadata: GgufMetadata;
  /** In file order. */
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Where tensor data starts: the header's length, padded to the alignment. */
  dataOffset: number;
  fileSize: number;
}

export type GgufErrorCode =
  | 'bad-magic'
  | 'bad-version'
  | 'truncated'
  | 'bad-header'
  | 'bad-tensor'
  | 'unsupported-types'
  | 'bad-metadata'
  | 'unknown-arch';

/** Every problem with a GGUF file's contents; `code` says which kind, the message what to do. */
export class GgufError extends Error {
  constructor(
    readonly code: GgufErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GgufError';
  }
}
