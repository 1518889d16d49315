/** Dequantised weights of a small GGUF model, for CPU references and tests (it holds every weight as f32). */
import { dequantizeRows } from '../formats/dequant';
import type { ByteSource } from './source';
import { type StreamOptions, streamGgufTensors } from './stream';
import type { GgufHeader } from './types';

export interface LoadedWeights {
  /** Tensor name → its values, row-major (row r of a [cols, rows] tensor at r * cols). */
  weights: Map<string, Float32Array>;
  sha256: string | null;
}

/** Streams every tensor through dequantisation; tiny models only (a 7B model would need 28 GB). */
export async function loadGgufWeights(source: ByteSource, header: GgufHeader, options: Omit<StreamOptions, 'include'> = {}): Promise<LoadedWeights> {
  const weights = new Map<string, Float32Array>();
  const { sha256 } = await streamGgufTensors(
    source,
    header,
    ({ tensor: t, rowStart, rows, bytes }) => {
      if (!t.format) throw new Error(`tensor "${t.name}" has type ${t.typeName}, which tokenbench cannot dequantise`);
      let w = weights.get(t.name);
      if (!w) weights.set(t.name, (w = new Float32Array(t.rows * t.cols)));
      dequantizeRows(t.format, bytes, t.cols, rowStart, rows, w.subarray(rowStart * t.cols, (rowStart + rows) * t.cols), rowStart);
    },
    options,
  );
  return { weights, sha256 };
}
