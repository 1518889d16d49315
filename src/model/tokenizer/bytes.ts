/**
 * Byte-level BPE's byte alphabet (GPT-2's): each byte is shown as one printable character. Printable
 * Latin-1 bytes stand for themselves; the other 68 (controls, space, 0x7f-0xa0, 0xad) become U+0100
 * onwards in byte order, so space is "Ġ" (U+0120) and newline "Ċ" (U+010A).
 */

function buildTables(): { toChar: string[]; toByte: Map<string, number> } {
  const toChar = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const keep = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    toChar[b] = String.fromCodePoint(keep ? b : 256 + next++);
  }
  return { toChar, toByte: new Map(toChar.map((c, b) => [c, b])) };
}

const { toChar, toByte } = buildTables();

/** The character standing for byte `b`. */
export function byteToChar(b: number): string {
  return toChar[b] as string;
}

/** The byte a character stands for, or undefined for characters outside the alphabet. */
export function charToByte(c: string): number | undefined {
  return toByte.get(c);
}

const utf8 = new TextEncoder();

/** Text → its UTF-8 bytes spelled in the byte alphabet. */
export function byteEncode(text: string): string {
  let s = '';
  for (const b of utf8.encode(text)) s += toChar[b];
  return s;
}
