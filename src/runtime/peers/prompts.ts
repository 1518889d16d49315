/**
 * Prompts of an exact length for a peer that takes text only (llama.cpp in the page): ppN needs a prompt
 * that llama.cpp tokenises to exactly N tokens. tokenbench's tokenizer follows llama.cpp's
 * (src/model/tokenizer), so a text is chosen here by tokenising it, and the peer's own count
 * (`timings.prompt_n`) is what the record keeps.
 */
import { bytesToText, tokenBytes } from '../../model/tokenizer/detokenize';
import { Tokenizer } from '../../model/tokenizer/tokenize';
import { TokenType, type Vocab } from '../../model/tokenizer/vocab';

/** Words tried first: short English words that are one token in most vocabularies. */
const PREFERRED = [' the', ' a', ' of', ' and', ' to', ' x', 'the', 'a'];

/** Candidate repeated words: the preferred ones, then the text of the vocabulary's ordinary tokens. */
function candidates(v: Vocab): string[] {
  const own = v.tokens.flatMap((_, id) => {
    if ((v.types[id] ?? TokenType.normal) !== TokenType.normal) return [];
    const text = bytesToText(tokenBytes(v, id));
    // Printable text only: a prompt is sent as JSON text, and control characters or broken UTF-8 are not text.
    return text && /^[\x20-\x7e]+$/.test(text) ? [text] : [];
  });
  return [...new Set([...PREFERRED, ...own])];
}

/**
 * A text that `vocab` tokenises (with BOS/EOS as the file asks) to exactly `n` tokens: one word repeated,
 * the first candidate that tokenises to one token per repetition at this length. Throws when none does.
 */
export function promptOfLength(vocab: Vocab, n: number, tokenizer = new Tokenizer(vocab)): string {
  const special = (vocab.addBos && vocab.bos !== null ? 1 : 0) + (vocab.addEos && vocab.eos !== null ? 1 : 0);
  const words = n - special;
  if (!Number.isInteger(n) || words < 1) throw new Error(`cannot write a text prompt of ${n} token(s): the vocabulary adds ${special} special token(s)`);
  for (const w of candidates(vocab)) {
    if (tokenizer.encode(w).length !== 1) continue;
    const text = w.repeat(words);
    if (tokenizer.encode(text, { addSpecial: true }).length === n) return text;
  }
  throw new Error(`no word of the vocabulary repeats into a prompt of exactly ${n} tokens`);
}

/** The text of each token (for comparing a peer's text token by token). */
export function tokenPieces(vocab: Vocab, ids: readonly number[]): string[] {
  return ids.map((id) => bytesToText(tokenBytes(vocab, id)));
}
