/**
 * A GGUF file through the whole runner (execute() with a files resolver, as the Node runner and the page
 * give one): a schema-valid result whose workload has the file's source block, figures, each decode test's
 * generated tokens, and the text of a greedy generation from the prompt; files tokenbench cannot run
 * (another architecture, another tensor type, no such file) are errored workloads that say why, and the
 * run goes on.
 */
import { describe, expect, test } from 'vitest';
import { bytesSource } from '../../src/model/gguf/source';
import { fixtureBytes, FIXTURES } from '../unit/gguf-fixtures';
import { Tokenizer } from '../../src/model/tokenizer/tokenize';
import { bytesToText, detokenize } from '../../src/model/tokenizer/detokenize';
import type { ModelFiles, NamedSource } from '../../src/run/files';
import { execute } from '../../src/runtime/execute';
import { nodeRuntime } from '../../src/runtime/dawn';
import { type BenchResult, parseResult } from '../../src/schema/result';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { testGpu } from './helpers';

const WHOLE_RUN_MS = 600_000;

/** The offset of a tensor's type field in a GGUF header (its name, n_dims, dims, then the type). */
function typeFieldOffset(bytes: Uint8Array, name: string, nDims: number): number {
  const needle = new TextEncoder().encode(name);
  for (let i = 0; i < bytes.length - needle.length; i++) if (needle.every((b, j) => bytes[i + j] === b)) return i + needle.length + 4 + 8 * nDims;
  throw new Error(`${name} not found`);
}

/** A copy of `bytes` with the first occurrence of `from` replaced by `to` (same length). */
function patched(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const [a, b] = [new TextEncoder().encode(from), new TextEncoder().encode(to)];
  const out = bytes.slice();
  const at = out.findIndex((_, i) => a.every((x, j) => out[i + j] === x));
  if (at < 0 || a.length !== b.length) throw new Error(`cannot patch ${from}`);
  out.set(b, at);
  return out;
}

const llama = fixtureBytes('llama', 'q8_0');
const unsupportedType = llama.slice();
new DataView(unsupportedType.buffer).setUint32(typeFieldOffset(unsupportedType, 'blk.0.attn_q.weight', 2), 6, true); // Q5_0
const FILES: Record<string, Uint8Array> = {
  'tiny-llama-q8_0.gguf': llama,
  'gemma.gguf': patched(llama, 'llama', 'gemma'), // general.architecture is the first "llama" in the file
  'q5_0.gguf': unsupportedType,
};

/** Files by reference (a directory in the reference is never part of the name a result keeps). */
const files: ModelFiles = async (ref) => {
  const name = ref.split('/').pop() as string;
  const bytes = FILES[name];
  if (!bytes) throw new Error(`no file ${ref}`);
  return { ...bytesSource(bytes), name } satisfies NamedSource;
};

describe('a GGUF file through the runner', () => {
  let result: BenchResult;
  const prompt = 'The benchmark measures';

  test('runs, with the source block, figures, generated tokens and text; unrunnable files are errored workloads', { timeout: WHOLE_RUN_MS }, async () => {
    const generation = {
      models: [{ gguf: '/some/dir/tiny-llama-q8_0.gguf' }, { gguf: 'gemma.gguf' }, { gguf: 'q5_0.gguf' }, { gguf: 'missing.gguf' }],
      formats: ['q8_0' as const],
      promptLens: [5],
      genTokens: 4,
      depths: [0],
      batches: [1],
      reps: 1,
      promptText: prompt,
    };
    result = await execute(testGpu(), { suite: 'smoke', generation, tune: { enabled: false }, cost: null, peers: null }, { runtime: nodeRuntime(), files });
    const parsed = parseResult(JSON.parse(JSON.stringify(result)));
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    const ws = result.phases.find((p) => p.id === 'generation')?.workloads ?? [];
    expect(ws.map((w) => `${w.id}:${w.state}`)).toEqual(['tiny-llama-q8_0:ok', 'gemma:errored', 'q5_0:errored', 'missing:errored']);
    const [w, gemma, q50, missing] = ws;
    expect(gemma?.reason).toMatch(/gemma\.gguf: GGUF architecture "gemma" is not supported; supported: llama, qwen2, qwen3, phi3/);
    expect(q50?.reason).toMatch(/q5_0\.gguf: 1 tensor\(s\) use types tokenbench cannot read \(Q5_0\).*blk\.0\.attn_q\.weight \(Q5_0\)/);
    expect(missing?.reason).toMatch(/model file "missing\.gguf": no file missing\.gguf/);

    // The source block: the file's name (no directory), size, hash, architecture, parameters, types.
    expect(w?.source).toEqual({
      kind: 'gguf',
      file: 'tiny-llama-q8_0.gguf',
      bytes: llama.length,
      sha256: bytesToHex(sha256(llama)),
      architecture: 'llama',
      params: expect.any(Number),
      tensors: [
        { type: 'Q8_0', count: 2 + 7 * 2, bytes: expect.any(Number) },
        { type: 'F32', count: 1 + 2 * 2, bytes: expect.any(Number) },
      ],
    });
    expect(w?.source?.kind === 'gguf' && w.source.tensors.reduce((s, t) => s + t.bytes, 0)).toBeLessThan(llama.length);
    expect(w?.arch).toMatchObject({ name: 'tiny-llama', hidden: 256, layers: 2, heads: 4, kvHeads: 2, vocab: 301, tiedEmbeddings: false });
    expect(w?.format).toBe('q8_0');
    expect(w?.verification?.state).toBe('passed');

    // Figures, and the tokens each decode test generated.
    expect(w?.tests.map((t) => t.name)).toEqual(['pp5', 'tg4']);
    for (const t of w?.tests ?? []) expect(t.wall.median).toBeGreaterThan(0);
    const tg = w?.tests.find((t) => t.kind === 'decode');
    expect(tg?.generatedTokens).toHaveLength(4);
    expect(tg?.generatedTokens?.every((id) => id < 301)).toBe(true);
    // A decode token reads every weight but the unused embedding rows: what the file's layout says.
    expect(tg?.traffic?.ratio).toBeGreaterThan(1);
    expect(tg?.traffic?.ratio).toBeLessThan(1.05);

    // The prompt, tokenised with the file's tokenizer, and the generated text decoded from the file's vocabulary.
    const vocab = FIXTURES.llama.vocab;
    const ids = new Tokenizer(vocab).encode(prompt, { addSpecial: true });
    expect(w?.text?.prompt).toBe(prompt);
    expect(w?.text?.promptTokens).toEqual(ids);
    expect(w?.text?.generatedTokens).toHaveLength(4);
    expect(w?.text?.generated).toBe(bytesToText(detokenize(vocab, w?.text?.generatedTokens ?? [])));
    expect(w?.text?.generated.length).toBeGreaterThan(0);
  });
});
