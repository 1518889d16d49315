/**
 * A GGUF tokenizer vocabulary (tokenizer.ggml.*): tokens, their types, scores (SentencePiece) or merges
 * (byte-level BPE), the special ids and flags, read with llama.cpp's defaults, and written back as metadata.
 */
import { metaBool, metaNumber, metaNumbers, metaString, metaStrings } from '../gguf/meta';
import { GgufError, type GgufMetadata, type GgufValue } from '../gguf/types';

/** Token types as GGUF stores them (llama.cpp's llama_token_type). */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** The tokenizer models tokenbench implements: SentencePiece ('llama') and byte-level BPE ('gpt2'). */
export type TokenizerModel = 'llama' | 'gpt2';

/** BPE pre-tokenizer families; each GGUF `tokenizer.ggml.pre` name maps to one (see PRE_TOKENIZERS). */
export type PreTokenizer = 'default' | 'gpt2' | 'llama3' | 'qwen2';

/** `tokenizer.ggml.pre` names accepted, as llama.cpp groups them. */
export const PRE_TOKENIZERS: Readonly<Record<string, PreTokenizer>> = Object.freeze({
  default: 'default',
  'gpt-2': 'gpt2',
  'phi-2': 'gpt2',
  llama3: 'llama3',
  'llama-v3': 'llama3',
  'llama-bpe': 'llama3',
  qwen2: 'qwen2',
  'deepseek-r1-qwen': 'qwen2',
});

export interface Vocab {
  model: TokenizerModel;
  /** The file's pre-tokenizer name ('default' when absent) and its family (gpt2 models only). */
  preName: string;
  pre: PreTokenizer;
  tokens: string[];
  types: number[];
  /** SentencePiece merge priorities (higher merges first); null for BPE. */
  scores: number[] | null;
  /** BPE merges "left right", rank = index; null for SentencePiece. */
  merges: string[] | null;
  bos: number | null;
  eos: number | null;
  unk: number | null;
  addBos: boolean;
  addEos: boolean;
  /** SentencePiece: prepend a space to text that starts a prompt or follows a special token. */
  addSpacePrefix: boolean;
}

function tokenId(meta: GgufMetadata, key: string, n: number, fallback: number | null): number | null {
  const id = meta.has(key) ? metaNumber(meta, key) : fallback;
  if (id === null) return null;
  if (!Number.isInteger(id) || id < 0 || id >= n) throw new GgufError('bad-metadata', `${key} = ${id} is not a token id (the vocabulary has ${n})`);
  return id;
}

/** Reads the vocabulary of a GGUF file; throws GgufError for tokenizers tokenbench does not implement. */
export function vocabFromGguf(meta: GgufMetadata): Vocab {
  const model = metaString(meta, 'tokenizer.ggml.model');
  if (model !== 'llama' && model !== 'gpt2') {
    throw new GgufError('bad-metadata', `tokenizer "${model}" is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)`);
  }
  const tokens = metaStrings(meta, 'tokenizer.ggml.tokens');
  if (!tokens?.length) throw new GgufError('bad-metadata', 'tokenizer.ggml.tokens is missing or empty');
  const n = tokens.length;
  const types = metaNumbers(meta, 'tokenizer.ggml.token_type') ?? new Array<number>(n).fill(TokenType.normal);
  const scores = metaNumbers(meta, 'tokenizer.ggml.scores') ?? null;
  const merges = metaStrings(meta, 'tokenizer.ggml.merges') ?? null;
  for (const [key, arr] of [['token_type', types], ['scores', scores]] as const) {
    if (arr && arr.length !== n) throw new GgufError('bad-metadata', `tokenizer.ggml.${key} has ${arr.length} entries for ${n} tokens`);
  }
  if (model === 'gpt2' && !merges) throw new GgufError('bad-metadata', 'a gpt2 (BPE) tokenizer needs tokenizer.ggml.merges');
  const preName = model === 'gpt2' ? metaString(meta, 'tokenizer.ggml.pre', 'default') || 'default' : 'default';
  const pre = Object.hasOwn(PRE_TOKENIZERS, preName) ? PRE_TOKENIZERS[preName] : undefined;
  if (!pre) {
    throw new GgufError('bad-metadata', `BPE pre-tokenizer "${preName}" is not supported; supported: ${Object.keys(PRE_TOKENIZERS).join(', ')}`);
  }
  const spm = model === 'llama';
  return {
    model,
    preName,
    pre,
    tokens,
    types,
    scores: spm ? (scores ?? new Array<number>(n).fill(0)) : null,
    merges: spm ? null : merges,
    bos: tokenId(meta, 'tokenizer.ggml.bos_token_id', n, spm ? 1 : null),
    eos: tokenId(meta, 'tokenizer.ggml.eos_token_id', n, spm ? 2 : null),
    unk: tokenId(meta, 'tokenizer.ggml.unknown_token_id', n, spm ? 0 : null),
    addBos: metaBool(meta, 'tokenizer.ggml.add_bos_token', spm || pre === 'llama3'),
    addEos: metaBool(meta, 'tokenizer.ggml.add_eos_token', false),
    addSpacePrefix: spm ? metaBool(meta, 'tokenizer.ggml.add_space_prefix', true) : false,
  };
}

/** The tokenizer.ggml.* metadata describing `v`, for the GGUF writer. */
export function vocabMetadata(v: Vocab): [string, GgufValue][] {
  const out: [string, GgufValue][] = [
    ['tokenizer.ggml.model', { type: 'string', value: v.model }],
    ...(v.model === 'gpt2' ? ([['tokenizer.ggml.pre', { type: 'string', value: v.preName }]] as [string, GgufValue][]) : []),
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: v.tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: v.types }],
  ];
  if (v.scores) out.push(['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: v.scores }]);
  if (v.merges) out.push(['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: v.merges }]);
  for (const [key, id] of [['bos', v.bos], ['eos', v.eos], ['unknown', v.unk]] as const) {
    if (id !== null) out.push([`tokenizer.ggml.${key}_token_id`, { type: 'u32', value: id }]);
  }
  out.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: v.addBos }], ['tokenizer.ggml.add_eos_token', { type: 'bool', value: v.addEos }]);
  if (v.model === 'llama') out.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: v.addSpacePrefix }]);
  return out;
}
