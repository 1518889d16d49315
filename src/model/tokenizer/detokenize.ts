/**
 * Token ids → bytes, exactly as llama.cpp's token_to_piece renders them: SentencePiece pieces with "▁" as
 * space and <0xNN> byte tokens as that byte; byte-level BPE tokens through the byte alphabet; control and
 * unknown tokens as nothing unless `special`. Bytes, not text: a character can span tokens, and random
 * models emit invalid UTF-8, so text is decoded only at the end (or streamed with TextStream).
 */
import { charToByte } from './bytes';
import { TokenType, type Vocab } from './vocab';

const utf8 = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

export interface DetokenizeOptions {
  /** Render control and unknown tokens (BOS, EOS, ...) as their text (llama.cpp's `special`). */
  special?: boolean;
  /**
   * Drop one leading space of the first token's piece (llama.cpp does for SentencePiece vocabularies that
   * add one); only the first token's: after a BOS, which renders as nothing, the space stays, as there.
   */
  stripLeadingSpace?: boolean;
}

function bpeBytes(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const b = charToByte(ch);
    // Characters outside the byte alphabet (llama.cpp would reject the vocabulary) pass through as UTF-8.
    if (b === undefined) out.push(...utf8.encode(ch));
    else out.push(b);
  }
  return out;
}

/** The bytes of one token. */
export function tokenBytes(v: Vocab, id: number, special = false): Uint8Array {
  const text = v.tokens[id];
  if (text === undefined || !Number.isInteger(id)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${v.tokens.length - 1})`);
  const type = v.types[id] ?? TokenType.normal;
  if (type === TokenType.control || type === TokenType.unknown) return special ? utf8.encode(text) : new Uint8Array(0);
  if (type === TokenType.userDefined) return utf8.encode(text);
  if (type === TokenType.byte) {
    const m = BYTE_TOKEN.exec(text);
    if (m) return Uint8Array.of(parseInt(m[1] as string, 16));
    // A byte-level BPE byte token is the byte's character.
    return Uint8Array.from(bpeBytes(text));
  }
  if (type !== TokenType.normal) return new Uint8Array(0);
  return v.model === 'llama' ? utf8.encode(text.replaceAll('\u2581', ' ')) : Uint8Array.from(bpeBytes(text));
}

/** The bytes of a token sequence. */
export function detokenize(v: Vocab, ids: readonly number[], options: DetokenizeOptions = {}): Uint8Array {
  const parts = ids.map((id) => tokenBytes(v, id, options.special));
  const first = parts[0];
  if (options.stripLeadingSpace && first && first[0] === 0x20) parts[0] = first.subarray(1);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes → text; invalid UTF-8 becomes U+FFFD (the bytes themselves stay exact in `detokenize`). */
export function bytesToText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** Incremental text for generation: push ids as they come, get the text that is complete so far. */
export class TextStream {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  constructor(
    private readonly vocab: Vocab,
    private readonly special = false,
  ) {}

  push(id: number): string {
    return this.decoder.decode(tokenBytes(this.vocab, id, this.special), { stream: true });
  }

  /** Flushes an unfinished character (as U+FFFD). */
  end(): string {
    return this.decoder.decode();
  }
}
