/**
 * tokenbench's GPU model on GGUF files (Node/Dawn, SwiftShader) against llama.cpp (node-llama-cpp, CPU),
 * for every architecture x format: the fixtures of test/unit/gguf-fixtures.ts (GQA, biases, q/k norms,
 * fused qkv and gate/up, tied and untied heads, vocabularies of 301..397 tokens) written by the GGUF
 * writer. For each: the GPU model's first 8 greedy tokens from a fixed token prompt must equal llama.cpp's
 * for f32, f16, bf16 and q8_0; and under teacher forcing, both engines predict the next token after each
 * prefix of the prompt + llama.cpp's greedy continuation of the same model in f32 (32 positions): the GPU
 * model's top-1 must equal llama.cpp's at >= 90% of them for every format (llama.cpp quantises
 * activations for quantised matmuls, so k-quants and q4_0 may differ a little). Teacher forcing runs along
 * the f32 continuation so that every format is judged on the same varied path: a quantised random model's
 * own greedy path can fall into a loop of two or three tokens, where agreement would say little. The
 * measured agreement is printed per case. node-llama-cpp must be installed (bash
 * scripts/install-llama-cpp.sh); without it these tests fail, saying so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nativeGreedy, nativeLlama, nativeTeacherForcedTop1 } from '../../bench/peers/llama-native';
import { Resources } from '../../src/gpu/buffers';
import type { LinearParams } from '../../src/kernels/linear/variants';
import { type GpuContext, acquireGpu } from '../../src/gpu/device';
import { GGUF_FORMATS } from '../../src/model/formats/table';
import type { GgufArchName, ModelSpec } from '../../src/model/gguf/arch';
import { type GgufModelShape, createGgufGpuModel, openGgufModel } from '../../src/model/gguf/model-file';
import { openFileSource } from '../../src/model/gguf/source-node';
import { writeGgufFile } from '../../src/model/gguf/write-node';
import { type SyntheticFormat, syntheticGguf } from '../../src/model/synth/gguf';
import { Tokenizer } from '../../src/model/tokenizer/tokenize';
import { ARCHS, FIXTURES } from '../unit/gguf-fixtures';
import { testGpu } from './helpers';

const TIMEOUT_MS = 60_000;
const FORMATS: SyntheticFormat[] = [...GGUF_FORMATS, 'q4_k_m'];
/** Formats whose greedy tokens must equal llama.cpp's. */
const EXACT_FORMATS = new Set<SyntheticFormat>(['f32', 'f16', 'bf16', 'q8_0']);
const GREEDY_TOKENS = 8;
const FORCED_POSITIONS = 32;
const MIN_TOP1_AGREEMENT = 0.9;
/** The fixed token prompt of a fixture: a sentence in its own vocabulary (as the CPU reference's cross-check). */
function promptOf(arch: GgufArchName): number[] {
  return new Tokenizer(FIXTURES[arch].vocab).encode('The benchmark measures what a token costs');
}

let dir: string;
let gpu: GpuContext;
const measured: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokenbench-gguf-gpu-'));
  await nativeLlama(); // fails here, with the install command, when node-llama-cpp is missing
  gpu = await acquireGpu(testGpu());
}, TIMEOUT_MS);
afterAll(() => {
  gpu?.device.destroy();
  rmSync(dir, { recursive: true, force: true });
  console.log(`top-1 agreement under teacher forcing along llama.cpp's continuation (${FORCED_POSITIONS} positions):\n${measured.join('\n')}`);
});

/**
 * The linear variant every role runs here: a verified variant like any other (test/gpu/linear-variants.test.ts),
 * chosen because on SwiftShader it is ~10x faster than the default tree reduction at these shapes.
 */
function fastLinears(device: GPUDevice): GgufModelShape['linearVariants'] {
  const p: LinearParams = device.features.has('subgroups') ? { wg: 32, rows: 4, vs: 4, reduce: 'subgroup' } : { wg: 32, rows: 2, vs: 4, reduce: 'tree' };
  const tiles = { 1: p, 2: p, 4: p, 8: p };
  return { qkv: tiles, o: tiles, gateUp: tiles, down: tiles, head: tiles };
}

interface Outcome {
  /** The first greedy tokens (formats that must match llama.cpp's; empty for the others). */
  greedy: number[];
  /** The GPU model's argmax after each prefix of prompt + llama.cpp's continuation, at the continuation's positions. */
  forced: number[];
}

/** Loads `path` into a GPU model (split into parts under `maxBindingBytes` when given) and runs it. */
async function runOnGpu(path: string, prompt: readonly number[], continuation: readonly number[], greedyTokens: number, maxBindingBytes?: number): Promise<Outcome> {
  const source = await openFileSource(path);
  const res = new Resources();
  try {
    const m = await openGgufModel(source);
    const seq = [...prompt, ...continuation.slice(0, FORCED_POSITIONS - 1)];
    const shape: GgufModelShape = { maxRows: seq.length, seqCap: 1, ctxCap: seq.length + 1, logCap: GREEDY_TOKENS, linearVariants: fastLinears(gpu.device), ...(maxBindingBytes ? { maxBindingBytes } : {}) };
    const { model } = await createGgufGpuModel(gpu.device, res, source, m, shape, { timeoutMs: TIMEOUT_MS, maxChunkBytes: 4096 });
    const greedy = greedyTokens ? await model.greedy(Uint32Array.from(prompt), greedyTokens, TIMEOUT_MS) : [];
    const forced = (await model.teacherForced(Uint32Array.from(seq), TIMEOUT_MS)).slice(prompt.length - 1);
    return { greedy, forced };
  } finally {
    res.destroyAll();
    await source.close();
  }
}

async function writeFixture(name: string, spec: ModelSpec, arch: GgufArchName, format: SyntheticFormat): Promise<string> {
  const path = join(dir, `${name}-${format}.gguf`);
  await writeGgufFile(path, syntheticGguf(spec, { format, vocab: FIXTURES[arch].vocab }));
  return path;
}

/** llama.cpp's greedy continuation of a model in f32, by fixture name: the path every format of it is teacher-forced along. */
const f32Paths = new Map<string, number[]>();
async function forcedPathOf(name: string, spec: ModelSpec, arch: GgufArchName): Promise<number[]> {
  let path = f32Paths.get(name);
  if (!path) {
    path = await nativeGreedy(await writeFixture(name, spec, arch, 'f32'), promptOf(arch), FORCED_POSITIONS);
    expect(path).toHaveLength(FORCED_POSITIONS);
    // A fixture that predicts the same few tokens everywhere would make agreement meaningless.
    expect(new Set(path).size, `${name}: llama.cpp's f32 continuation ${path.join(',')}`).toBeGreaterThanOrEqual(8);
    f32Paths.set(name, path);
  }
  return path;
}

/** Runs one fixture on both engines and checks the thresholds; returns the GPU outcome. */
async function crossCheck(label: string, arch: GgufArchName, name: string, spec: ModelSpec, format: SyntheticFormat, maxBindingBytes?: number): Promise<Outcome> {
  const prompt = promptOf(arch);
  const forcedPath = await forcedPathOf(name, spec, arch);
  const path = await writeFixture(name, spec, arch, format);
  const exact = EXACT_FORMATS.has(format);
  const greedy = exact ? await nativeGreedy(path, prompt, GREEDY_TOKENS) : [];
  const seq = [...prompt, ...forcedPath.slice(0, FORCED_POSITIONS - 1)];
  const theirs = (await nativeTeacherForcedTop1(path, seq)).slice(prompt.length - 1);
  expect(theirs).toHaveLength(FORCED_POSITIONS);
  const mine = await runOnGpu(path, prompt, forcedPath, exact ? GREEDY_TOKENS : 0, maxBindingBytes);
  const agree = mine.forced.filter((t, i) => t === theirs[i]).length;
  const greedySame = mine.greedy.findIndex((t, i) => t !== greedy[i]);
  const greedyNote = exact ? `, greedy equal for ${greedySame < 0 ? GREEDY_TOKENS : greedySame} of ${GREEDY_TOKENS}` : '';
  measured.push(`  ${label.padEnd(28)} ${agree}/${FORCED_POSITIONS} (${((100 * agree) / FORCED_POSITIONS).toFixed(1)}%)${greedyNote}`);
  console.log(`${label}: greedy llama.cpp ${greedy.join(',')} | gpu ${mine.greedy.join(',')}; forced top-1 ${agree}/${FORCED_POSITIONS}`);
  if (exact) expect(mine.greedy).toEqual(greedy);
  expect(agree / FORCED_POSITIONS).toBeGreaterThanOrEqual(MIN_TOP1_AGREEMENT);
  return mine;
}

describe.each(ARCHS)('%s GGUF on the GPU model vs llama.cpp', (arch) => {
  test.each(FORMATS)(
    '%s',
    async (format) => {
      await crossCheck(`${arch} ${format}`, arch, arch, FIXTURES[arch].spec, format);
    },
    TIMEOUT_MS,
  );
});

describe('loading transforms', () => {
  test(
    'llama with linear RoPE scaling and rope_freqs factors (f32)',
    async () => {
      const spec = { ...FIXTURES.llama.spec, name: 'scaled', ropeScaling: { type: 'linear' as const, factor: 4, originalContext: 2048 }, ropeFreqFactors: true };
      await crossCheck('llama f32 scaled RoPE', 'llama', 'llama-scaled', spec, 'f32');
    },
    TIMEOUT_MS,
  );

  // Odd row counts per part: q/k rows permuted across part boundaries, gate/up pairs split between parts.
  test.each<[GgufArchName, SyntheticFormat, number]>([
    ['llama', 'q8_0', 37 * 272],
    ['phi3', 'f16', 19 * 512],
    ['qwen2', 'q6_k', 23 * 208],
  ])(
    '%s %s split into parts of at most %i bytes gives the unsplit model\'s tokens',
    async (arch, format, maxBindingBytes) => {
      const { spec } = FIXTURES[arch];
      const split = await crossCheck(`${arch} ${format} split`, arch, arch, spec, format, maxBindingBytes);
      const path = await writeFixture(arch, spec, arch, format);
      const whole = await runOnGpu(path, promptOf(arch), await forcedPathOf(arch, spec, arch), EXACT_FORMATS.has(format) ? GREEDY_TOKENS : 0);
      expect(split).toEqual(whole);
    },
    TIMEOUT_MS,
  );
});
