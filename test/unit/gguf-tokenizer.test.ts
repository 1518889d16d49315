import { describe, expect, test } from 'vitest';
import { byteEncode, byteToChar, charToByte } from '../../src/model/tokenizer/bytes';
import { TextStream, bytesToText, detokenize, tokenBytes } from '../../src/model/tokenizer/detokenize';
import { syntheticBpeVocab, syntheticSpmVocab } from '../../src/model/tokenizer/synthetic';
import { Tokenizer, preTokenize } from '../../src/model/tokenizer/tokenize';
import { TokenType, type Vocab, vocabFromGguf, vocabMetadata } from '../../src/model/tokenizer/vocab';
import { GgufError } from '../../src/model/gguf/types';
import { SAMPLE_TEXTS } from './gguf-fixtures';


function vocab(model: 'llama' | 'gpt2', tokens: string[], extra: Partial<Vocab> = {}): Vocab {
  return {
    model,
    preName: 'default',
    pre: 'default',
    tokens,
    types: tokens.map((t) => (/^<0x[0-9A-F]{2}>$/.test(t) ? TokenType.byte : TokenType.normal)),
    scores: model === 'llama' ? tokens.map(() => 0) : null,
    merges: model === 'gpt2' ? [] : null,
    bos: null,
    eos: null,
    unk: null,
    addBos: false,
    addEos: false,
    addSpacePrefix: model === 'llama',
    ...extra,
  };
}

describe('byte alphabet', () => {
  test('space, newline and printable bytes', () => {
    expect([byteToChar(0x20), byteToChar(0x0a), byteToChar(0x41), byteToChar(0xad), byteToChar(0xff)]).toEqual(['Ġ', 'Ċ', 'A', 'Ń', 'ÿ']);
    expect(byteEncode('a é')).toBe('aĠÃ©');
  });
  test('a bijection on all 256 bytes', () => {
    const chars = Array.from({ length: 256 }, (_, b) => byteToChar(b));
    expect(new Set(chars).size).toBe(256);
    expect(chars.map((c) => charToByte(c))).toEqual(Array.from({ length: 256 }, (_, b) => b));
  });
});

describe('detokenise: ids to exact bytes', () => {
  const spm = syntheticSpmVocab(333);
  const bpe = syntheticBpeVocab(301);
  const id = (v: Vocab, t: string) => v.tokens.indexOf(t);

  test('SentencePiece: ▁ is a space, <0xNN> a byte, control tokens nothing unless asked', () => {
    const ids = [id(spm, '<s>'), id(spm, '▁the'), id(spm, '<0xE4>'), id(spm, '<0xB8>'), id(spm, '<0x96>'), id(spm, '</s>')];
    expect(ids.every((i) => i >= 0)).toBe(true);
    expect([...detokenize(spm, ids)]).toEqual([...new TextEncoder().encode(' the世')]);
    // Like llama.cpp, only the first token's piece loses its space: a BOS before it keeps it.
    expect(bytesToText(detokenize(spm, ids.slice(1), { stripLeadingSpace: true }))).toBe('the世');
    expect(bytesToText(detokenize(spm, ids, { stripLeadingSpace: true }))).toBe(' the世');
    expect(bytesToText(detokenize(spm, ids, { special: true }))).toBe('<s> the世</s>');
  });

  test('byte-level BPE: Ġ and Ċ are space and newline; a lone byte stays that byte', () => {
    const ids = [id(bpe, 'Ġ'), id(bpe, 'Ċ'), id(bpe, byteToChar(0xe4))];
    expect([...detokenize(bpe, ids)]).toEqual([0x20, 0x0a, 0xe4]);
    expect(bytesToText(detokenize(bpe, ids))).toBe(' \n\uFFFD');
  });

  test('TextStream holds back a character until its last byte arrives', () => {
    const s = new TextStream(spm);
    expect(['<0xE4>', '<0xB8>', '<0x96>', '▁a'].map((t) => s.push(id(spm, t)))).toEqual(['', '', '世', ' a']);
    expect(s.end()).toBe('');
  });

  test('an id outside the vocabulary is a RangeError', () => {
    expect(() => tokenBytes(spm, 333)).toThrow('token id 333 is outside the vocabulary (0..332)');
  });
});

describe('tokenise: merge order as llama.cpp applies it', () => {
  test('BPE: the lowest-ranked merge first', () => {
    const v = vocab('gpt2', ['a', 'b', 'c', 'ab', 'bc'], { merges: ['a b', 'b c'] });
    expect(new Tokenizer(v).encode('abc')).toEqual([3, 2]);
    expect(new Tokenizer({ ...v, merges: ['b c', 'a b'] }).encode('abc')).toEqual([0, 4]);
  });

  test('BPE llama3: a word that is a token is taken whole, even without merges to build it', () => {
    const v = vocab('gpt2', ['a', 'b', 'c', 'abc'], { merges: [], pre: 'llama3', preName: 'llama-bpe' });
    expect(new Tokenizer(v).encode('abc')).toEqual([3]);
    expect(new Tokenizer({ ...v, pre: 'default', preName: 'default' }).encode('abc')).toEqual([0, 1, 2]);
  });

  test('SentencePiece: the highest score first, leftmost on ties; unknown characters as bytes', () => {
    const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    const tokens = [...bytes, '▁', 'a', 'b', 'ab', 'bb'];
    const v = vocab('llama', tokens, { scores: [...bytes.map(() => 0), -5, -5, -5, -1, -2] });
    const tok = new Tokenizer(v);
    expect(tok.encode('abb')).toEqual([256, 259, 258]); // ▁, ab, b
    const tied = new Tokenizer({ ...v, scores: [...bytes.map(() => 0), -5, -5, -5, -1, -1] });
    expect(tied.encode('abb')).toEqual([256, 259, 258]); // equal scores: the leftmost pair (a, b) wins
    expect(tok.encode('b€')).toEqual([256, 258, 0xe2, 0x82, 0xac]);
  });

  test('SentencePiece without byte tokens cannot spell unknown text: an error, not a silent drop', () => {
    const v = vocab('llama', ['▁', 'a']);
    expect(() => new Tokenizer(v).encode('b')).toThrow('the vocabulary has no byte token <0x62> for text it cannot spell');
  });

  test('user-defined tokens are matched in raw text; control tokens only when parsing specials', () => {
    const v = syntheticBpeVocab(301);
    const types = [...v.types];
    types[5] = TokenType.userDefined;
    const u = { ...v, types };
    const tok = new Tokenizer(u);
    const eot = v.tokens.length - 1;
    expect(tok.encode(`x${v.tokens[5]}y`)).toContain(5);
    expect(tok.encode('a<|endoftext|>b')).not.toContain(eot);
    expect(tok.encode('a<|endoftext|>b', { parseSpecial: true })).toEqual([...tok.encode('a'), eot, ...tok.encode('b')]);
  });

  test('BOS is added only when asked and the vocabulary wants it', () => {
    const v = syntheticSpmVocab(333);
    const tok = new Tokenizer(v);
    expect(tok.encode('hi', { addSpecial: true })[0]).toBe(v.bos);
    expect(tok.encode('hi')[0]).not.toBe(v.bos);
  });
});

describe('pre-tokenizers split as llama.cpp does', () => {
  test.each([
    // Punctuation is split off first, so the apostrophe leaves its "s" behind.
    ['default', "Hello, world!! It's 12345", ['Hello', ',', ' world', '!!', ' It', "'", 's', ' ', '123', '45']],
    ['gpt2', "Hello, world!! It's 12345", ['Hello', ',', ' world', '!!', ' It', "'s", ' 12345']],
    ['llama3', "Hello, world!! IT'S 12345\n\n  x", ['Hello', ',', ' world', '!!', ' IT', "'S", ' ', '123', '45', '\n\n', ' ', ' x']],
    ['qwen2', 'ab 12345', ['ab', ' ', '1', '2', '3', '4', '5']],
  ] as const)('%s', (pre, text, words) => {
    expect(preTokenize(pre, text)).toEqual(words);
  });
});

describe('round trips on the synthetic vocabularies', () => {
  const vocabs: [string, Vocab][] = [
    ['BPE default', syntheticBpeVocab(301)],
    ['BPE llama-bpe', syntheticBpeVocab(320, { pre: 'llama-bpe' })],
    ['BPE qwen2', syntheticBpeVocab(397, { pre: 'qwen2' })],
    ['SentencePiece', syntheticSpmVocab(333)],
  ];
  test.each(vocabs.flatMap(([name, v]) => SAMPLE_TEXTS.map((t) => [name, t, v] as const)))('%s: %j', (_name, text, v) => {
    const ids = new Tokenizer(v).encode(text);
    expect(bytesToText(detokenize(v, ids, { stripLeadingSpace: v.addSpacePrefix }))).toBe(text);
  });

  test('merges learnt from the corpus make common words single tokens', () => {
    const v = syntheticSpmVocab(400);
    expect(new Tokenizer(v).encode('the token').map((i) => v.tokens[i])).toEqual(['▁the', '▁token']);
  });

  test('a printable-only BPE vocabulary drops bytes it has no token for (as llama.cpp does)', () => {
    const v = syntheticBpeVocab(300, { printableOnly: true });
    expect(v.tokens.length).toBe(300);
    const ids = new Tokenizer(v).encode('café');
    expect(bytesToText(detokenize(v, ids))).toBe('caf');
  });

  test('vocabulary sizes are exact, and too small a size is refused', () => {
    expect(syntheticBpeVocab(777).tokens.length).toBe(777);
    expect(syntheticSpmVocab(777).tokens.length).toBe(777);
    expect(() => syntheticBpeVocab(200)).toThrow('a byte-level BPE vocabulary needs at least 257 tokens, asked for 200');
  });
});

describe('vocabulary metadata', () => {
  test.each([['BPE', syntheticBpeVocab(301, { pre: 'qwen2' })], ['SentencePiece', syntheticSpmVocab(333)]] as const)('%s round-trips through GGUF metadata', (_n, v) => {
    expect(vocabFromGguf(new Map(vocabMetadata(v)))).toEqual(v);
  });

  test('unsupported tokenizer models and pre-tokenizers are named', () => {
    const meta = new Map(vocabMetadata(syntheticBpeVocab(301)));
    meta.set('tokenizer.ggml.model', { type: 'string', value: 'bert' });
    expect(() => vocabFromGguf(meta)).toThrow(new GgufError('bad-metadata', 'tokenizer "bert" is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)'));
    meta.set('tokenizer.ggml.model', { type: 'string', value: 'gpt2' });
    meta.set('tokenizer.ggml.pre', { type: 'string', value: 'falcon' });
    expect(() => vocabFromGguf(meta)).toThrow(/^BPE pre-tokenizer "falcon" is not supported; supported: default, gpt-2, phi-2, llama3, llama-v3, llama-bpe, qwen2, deepseek-r1-qwen$/);
  });
});
