/**
 * Text → token ids for GGUF vocabularies, following llama.cpp's tokenizers so ids match its own:
 * - SentencePiece ('llama'): spaces become "▁" (with one prepended at the start and after a special
 *   token), the text is split into characters, and adjacent symbols merge while their concatenation is a
 *   token, highest score first (leftmost on ties); what no token covers becomes <0xNN> byte tokens.
 * - Byte-level BPE ('gpt2'): the pre-tokenizer's regexes split the text into words (each regex splits the
 *   pieces of the one before, keeping unmatched text), each word's UTF-8 bytes are spelled in the byte
 *   alphabet, and the merges apply lowest rank first (leftmost on ties). Llama 3's pre-tokenizer takes a
 *   word that is itself a token whole (llama.cpp's ignore_merges).
 * User-defined tokens are matched in the raw text first (control tokens too with parseSpecial), longest
 * first, as llama.cpp does.
 */
import { byteEncode, byteToChar } from './bytes';
import { type PreTokenizer, TokenType, type Vocab } from './vocab';

const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
const LLAMA3_HEAD = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|`;
const LLAMA3_TAIL = String.raw`| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** The regexes of each pre-tokenizer, applied in turn (llama.cpp's lists for the same `pre` names). */
const PRE_REGEXES: Record<PreTokenizer, string[]> = {
  default: [String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, String.raw`\p{N}+`, '[0-9][0-9][0-9]'],
  gpt2: [GPT2],
  llama3: [`${LLAMA3_HEAD}\\p{N}{1,3}${LLAMA3_TAIL}`],
  qwen2: [`${LLAMA3_HEAD}\\p{N}${LLAMA3_TAIL}`],
};

/** Splits each piece by `re`, keeping both the matches and the text between them. */
function splitKeep(pieces: string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const p of pieces) {
    let last = 0;
    for (const m of p.matchAll(re)) {
      if (m.index > last) out.push(p.slice(last, m.index));
      if (m[0].length) out.push(m[0]);
      last = m.index + m[0].length;
    }
    if (last < p.length) out.push(p.slice(last));
  }
  return out;
}

/** The words a BPE pre-tokenizer splits `text` into (before byte spelling and merges). */
export function preTokenize(pre: PreTokenizer, text: string): string[] {
  return PRE_REGEXES[pre].reduce((pieces, r) => splitKeep(pieces, new RegExp(r, 'gu')), text ? [text] : []);
}

export interface EncodeOptions {
  /** Add BOS/EOS as the vocabulary asks (tokenizer.ggml.add_bos_token / add_eos_token). Default false. */
  addSpecial?: boolean;
  /** Match control tokens written in the text ("<s>") as those tokens. Default false. */
  parseSpecial?: boolean;
}

type Fragment = string | { token: number };

const utf8 = new TextEncoder();

export class Tokenizer {
  private readonly ids = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly regexes: RegExp[];
  private readonly byteIds: (number | undefined)[];
  /** Tokens matched in raw text, longest (in bytes) first: user-defined ones, and with control/unknown ones. */
  private readonly userSpecials: { t: string; id: number }[];
  private readonly allSpecials: { t: string; id: number }[];

  constructor(readonly vocab: Vocab) {
    vocab.tokens.forEach((t, i) => this.ids.set(t, i)); // a duplicate text maps to its last id, as in llama.cpp
    vocab.merges?.forEach((m, i) => {
      if (!this.ranks.has(m)) this.ranks.set(m, i);
    });
    this.regexes = PRE_REGEXES[vocab.pre].map((r) => new RegExp(r, 'gu'));
    const specials = vocab.tokens
      .map((t, id) => ({ t, id, type: vocab.types[id] ?? TokenType.normal }))
      .filter(({ t, type }) => t && (type === TokenType.userDefined || type === TokenType.control || type === TokenType.unknown))
      .sort((a, b) => utf8.encode(b.t).length - utf8.encode(a.t).length);
    this.allSpecials = specials.map(({ t, id }) => ({ t, id }));
    this.userSpecials = specials.filter((s) => s.type === TokenType.userDefined).map(({ t, id }) => ({ t, id }));
    this.byteIds = Array.from({ length: 256 }, (_, b) =>
      this.ids.get(vocab.model === 'llama' ? `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>` : byteToChar(b)),
    );
  }

  /** Token ids of `text`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const v = this.vocab;
    const out: number[] = [];
    if (options.addSpecial && v.addBos && v.bos !== null) out.push(v.bos);
    let prevSpecial = true;
    for (const f of this.partition(text, options.parseSpecial ?? false)) {
      if (typeof f !== 'string') {
        out.push(f.token);
        prevSpecial = true;
      } else if (v.model === 'llama') {
        this.spm(((v.addSpacePrefix && prevSpecial ? ' ' : '') + f).replaceAll(' ', '\u2581'), out);
        prevSpecial = false;
      } else {
        for (const word of this.regexes.reduce((pieces, re) => splitKeep(pieces, re), [f])) this.bpe(byteEncode(word), out);
      }
    }
    if (options.addSpecial && v.addEos && v.eos !== null) out.push(v.eos);
    return out;
  }

  /** Splits raw text around special tokens (user-defined always, control/unknown when parsing specials). */
  private partition(text: string, parseSpecial: boolean): Fragment[] {
    let frags: Fragment[] = text ? [text] : [];
    for (const { t, id } of parseSpecial ? this.allSpecials : this.userSpecials) {
      frags = frags.flatMap((f) => {
        if (typeof f !== 'string' || !f.includes(t)) return [f];
        const parts = f.split(t);
        return parts.flatMap((p, i) => [...(i ? [{ token: id }] : []), ...(p ? [p] : [])]);
      });
    }
    return frags;
  }

  /** Symbols that are not tokens, as byte tokens (skipped when the vocabulary has none, like llama.cpp for BPE). */
  private bytesOf(sym: string, out: number[]): void {
    for (const b of utf8.encode(sym)) {
      const id = this.byteIds[b];
      if (id !== undefined) out.push(id);
      else if (this.vocab.model === 'llama') throw new Error(`the vocabulary has no byte token <0x${b.toString(16).toUpperCase().padStart(2, '0')}> for text it cannot spell`);
    }
  }

  private spm(text: string, out: number[]): void {
    const scores = this.vocab.scores as number[];
    const sym = Array.from(text);
    for (;;) {
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i + 1 < sym.length; i++) {
        const id = this.ids.get((sym[i] as string) + (sym[i + 1] as string));
        if (id !== undefined && (scores[id] as number) > bestScore) {
          best = i;
          bestScore = scores[id] as number;
        }
      }
      if (best < 0) break;
      sym.splice(best, 2, (sym[best] as string) + (sym[best + 1] as string));
    }
    for (const s of sym) {
      const id = this.ids.get(s);
      if (id !== undefined) out.push(id);
      else this.bytesOf(s, out);
    }
  }

  private bpe(word: string, out: number[]): void {
    if (!word) return;
    const whole = this.ids.get(word);
    if (this.vocab.pre === 'llama3' && whole !== undefined) {
      out.push(whole);
      return;
    }
    const sym = Array.from(word);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < sym.length; i++) {
        const r = this.ranks.get(`${sym[i]} ${sym[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          best = i;
          bestRank = r;
        }
      }
      if (best < 0) break;
      sym.splice(best, 2, (sym[best] as string) + (sym[best + 1] as string));
    }
    for (const s of sym) {
      const id = this.ids.get(s);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // llama.cpp looks each UTF-8 byte of the spelled symbol up as a one-byte token: only ASCII can match.
      for (const b of utf8.encode(s)) {
        const byteId = b < 0x80 ? this.ids.get(String.fromCharCode(b)) : undefined;
        if (byteId !== undefined) out.push(byteId);
      }
    }
  }
}
