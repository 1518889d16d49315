/**
 * Small synthetic vocabularies for test models: a byte-level BPE ('gpt2') and a SentencePiece ('llama')
 * one, each with merges learnt from a short built-in English text so that ordinary text tokenises into
 * multi-byte tokens, and filled up to exactly the size asked for.
 */
import { byteEncode, byteToChar } from './bytes';
import { TokenType, type Vocab } from './vocab';

/** Training text for the merges (written for tokenbench). */
const CORPUS = `The benchmark measures what a token costs on the graphics card in front of you.
It runs the same prompt through every preset, from tiny models to seven billion parameters, and counts
the time, the bytes moved and the energy spent. Prefill reads the whole prompt at once; decoding then
adds one token at a time, and each new token reads every weight again. That is why memory bandwidth, not
arithmetic, sets the pace of generation. A quantised model stores four or eight bits per weight, so it
moves fewer bytes and runs faster, if the kernels unpack the blocks well. We don't guess: we measure 128
runs, keep the samples, and report the median with its interval. It's 2026, and there are 3 formats, 12 kernels and 1000 questions.`;

export interface SyntheticVocabOptions {
  /** BPE pre-tokenizer name written to the file (tokenizer.ggml.pre). Default 'default'. */
  pre?: 'default' | 'llama-bpe' | 'qwen2' | 'gpt-2';
  /**
   * BPE only: keep just the printable-ASCII bytes (plus space and newline) as byte tokens, so any token
   * sequence a random model emits is valid text (wllama rejects invalid UTF-8). Text with other bytes then
   * loses them when tokenised, as in llama.cpp.
   */
  printableOnly?: boolean;
}

/** Learns up to `count` merges over words given as symbol arrays (most frequent pair first, ties by text). */
function learnMerges(words: string[][], count: number, taken: Set<string>): [string, string][] {
  const merges: [string, string][] = [];
  let ws = words.map((w) => [...w]);
  while (merges.length < count) {
    const freq = new Map<string, number>();
    for (const w of ws) for (let i = 0; i + 1 < w.length; i++) {
      const k = `${w[i]}\u0000${w[i + 1]}`;
      freq.set(k, (freq.get(k) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const [k, f] of freq) {
      const [a, b] = k.split('\u0000') as [string, string];
      if (taken.has(a + b)) continue;
      const bf = best === null ? -1 : (freq.get(best) as number);
      if (f > bf || (f === bf && k < (best as string))) best = k;
    }
    if (best === null) break;
    const [a, b] = best.split('\u0000') as [string, string];
    merges.push([a, b]);
    taken.add(a + b);
    ws = ws.map((w) => {
      const out: string[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(w[i] as string);
      }
      return out;
    });
  }
  return merges;
}

/**
 * Filler merges when the corpus runs out, so any size can be reached: pairs of the seed symbols, then
 * pairs that include the fillers made so far (26 letters give 676, then ~500 000 more).
 */
function fillerMerges(seeds: string[], count: number, taken: Set<string>): [string, string][] {
  const out: [string, string][] = [];
  const symbols = [...seeds];
  for (let i = 0; i < symbols.length && out.length < count; i++) {
    for (let j = 0; j <= i && out.length < count; j++) {
      for (const [a, b] of [[symbols[i], symbols[j]], [symbols[j], symbols[i]]] as [string, string][]) {
        if (out.length < count && !taken.has(a + b)) {
          taken.add(a + b);
          out.push([a, b]);
          symbols.push(a + b);
        }
      }
    }
  }
  if (out.length < count) throw new Error(`could not make ${count} filler merges`);
  return out;
}

/** A byte-level BPE vocabulary of exactly `size` tokens: bytes, learnt merges, then <|endoftext|> (BOS and EOS). */
export function syntheticBpeVocab(size: number, options: SyntheticVocabOptions = {}): Vocab {
  const bytes = Array.from({ length: 256 }, (_, b) => b).filter((b) => !options.printableOnly || (b >= 0x20 && b <= 0x7e) || b === 0x0a);
  const tokens = bytes.map(byteToChar);
  const nMerges = size - tokens.length - 1;
  if (nMerges < 0) throw new Error(`a byte-level BPE vocabulary needs at least ${tokens.length + 1} tokens, asked for ${size}`);
  const words = (CORPUS.match(/ ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+/gu) ?? []).map((w) => Array.from(byteEncode(w)).filter((c) => tokens.includes(c)));
  const taken = new Set(tokens);
  const learnt = learnMerges(words, nMerges, taken);
  const merges = [...learnt, ...fillerMerges(tokens.filter((t) => /^[a-z]$/.test(t)), nMerges - learnt.length, taken)];
  for (const [a, b] of merges) tokens.push(a + b);
  tokens.push('<|endoftext|>');
  const types = tokens.map((_, i) => (i === tokens.length - 1 ? TokenType.control : TokenType.normal));
  const eot = tokens.length - 1;
  return {
    model: 'gpt2',
    preName: options.pre ?? 'default',
    pre: options.pre === 'llama-bpe' ? 'llama3' : options.pre === 'qwen2' ? 'qwen2' : options.pre === 'gpt-2' ? 'gpt2' : 'default',
    tokens,
    types,
    scores: null,
    merges: merges.map(([a, b]) => `${a} ${b}`),
    bos: eot,
    eos: eot,
    unk: null,
    addBos: false,
    addEos: false,
    addSpacePrefix: false,
  };
}

/**
 * A SentencePiece vocabulary of exactly `size` tokens: <unk>, <s>, </s>, <|endoftext|>, the 256 byte tokens <0x00>..<0xFF>,
 * "▁" and the corpus's characters, then merged pieces scored so that earlier merges win.
 */
export function syntheticSpmVocab(size: number): Vocab {
  // <|endoftext|>: llama.cpp looks it up in any model whose name contains "phi3" or "phi-3".
  const tokens = ['<unk>', '<s>', '</s>', '<|endoftext|>', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)];
  const types: number[] = [TokenType.unknown, TokenType.control, TokenType.control, TokenType.control, ...new Array<number>(256).fill(TokenType.byte)];
  const scores: number[] = new Array<number>(tokens.length).fill(0);
  const words = CORPUS.split(/ +/).map((w) => Array.from(`\u2581${w}`));
  const chars = [...new Set(words.flat())].sort();
  const nMerges = size - tokens.length - chars.length;
  if (nMerges < 0) throw new Error(`this SentencePiece vocabulary needs at least ${tokens.length + chars.length} tokens, asked for ${size}`);
  chars.forEach((c, i) => {
    tokens.push(c);
    types.push(TokenType.normal);
    scores.push(-1e4 - i);
  });
  const taken = new Set(tokens);
  const learnt = learnMerges(words, nMerges, taken);
  const merges = [...learnt, ...fillerMerges(chars.filter((c) => /^[a-z]$/.test(c)), nMerges - learnt.length, taken)];
  merges.forEach(([a, b], i) => {
    tokens.push(a + b);
    types.push(TokenType.normal);
    scores.push(-i);
  });
  return {
    model: 'llama',
    preName: 'default',
    pre: 'default',
    tokens,
    types,
    scores,
    merges: null,
    bos: 1,
    eos: 2,
    unk: 0,
    addBos: true,
    addEos: false,
    addSpacePrefix: true,
  };
}
