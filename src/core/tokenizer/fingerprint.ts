/**
 * Vocabulary fingerprints: equal fingerprints ⇒ the two tokenizers map the same ids to the same
 * tokens and agree on their special tokens, so token-level scores of one can be compared with the
 * other's. The hash is 64-bit FNV-1a over the UTF-8 bytes of a canonical text; it is not
 * cryptographic (nobody gains from forging one), just stable across runs, machines and engines.
 */

const FNV64_OFFSET_HIGH = 0xcbf29ce4;
const FNV64_OFFSET_LOW = 0x84222325;
/** The 64-bit FNV prime is 2^40 + 0x1b3. */
const FNV64_PRIME_LOW = 0x1b3;
const TWO_TO_32 = 0x1_0000_0000;

/** Incremental 64-bit FNV-1a, kept as two unsigned 32-bit halves (no BigInt in the hot loop). */
export class Fnv1a64 {
  private high = FNV64_OFFSET_HIGH;
  private low = FNV64_OFFSET_LOW;

  updateByte(byte: number): this {
    const low = (this.low ^ (byte & 0xff)) >>> 0;
    // (high·2^32 + low) · (2^40 + 0x1b3) mod 2^64: low·0x1b3 is below 2^41, exact in a double.
    const lowProduct = low * FNV64_PRIME_LOW;
    const carry = Math.floor(lowProduct / TWO_TO_32);
    this.high = (Math.imul(this.high, FNV64_PRIME_LOW) + carry + (low << 8)) >>> 0;
    this.low = lowProduct >>> 0;
    return this;
  }

  /** Feeds the UTF-8 bytes of `text` (a lone surrogate counts as U+FFFD, as TextEncoder writes it). */
  update(text: string): this {
    for (const char of text) {
      let codePoint = char.codePointAt(0)!;
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) codePoint = 0xfffd;
      if (codePoint < 0x80) {
        this.updateByte(codePoint);
      } else if (codePoint < 0x800) {
        this.updateByte(0xc0 | (codePoint >> 6)).updateByte(0x80 | (codePoint & 0x3f));
      } else if (codePoint < 0x10000) {
        this.updateByte(0xe0 | (codePoint >> 12))
          .updateByte(0x80 | ((codePoint >> 6) & 0x3f))
          .updateByte(0x80 | (codePoint & 0x3f));
      } else {
        this.updateByte(0xf0 | (codePoint >> 18))
          .updateByte(0x80 | ((codePoint >> 12) & 0x3f))
          .updateByte(0x80 | ((codePoint >> 6) & 0x3f))
          .updateByte(0x80 | (codePoint & 0x3f));
      }
    }
    return this;
  }

  /** The hash as 16 lowercase hex digits. */
  hex(): string {
    return this.high.toString(16).padStart(8, '0') + this.low.toString(16).padStart(8, '0');
  }
}

export function fnv1a64Hex(text: string): string {
  return new Fnv1a64().update(text).hex();
}

export interface SpecialTokenIds {
  bos: number | null;
  eos: number | null;
  pad: number | null;
  unk: number | null;
  /** Every id the tokenizer marks special, in any order. */
  all: readonly number[];
}

/**
 * `fnv1a64:<16 hex digits>` of the vocabulary and the special token ids. The canonical text is one
 * line `id<TAB>JSON(token)` per entry, sorted by id (then token, for ids that two entries share),
 * then a line `special<TAB>JSON({bos, eos, pad, unk, all: sorted})`.
 */
export function vocabularyFingerprint(entries: Iterable<readonly [token: string, id: number]>, special: SpecialTokenIds): string {
  const sorted = Array.from(entries, ([token, id]) => [token, id] as const).sort(
    ([tokenA, idA], [tokenB, idB]) => idA - idB || (tokenA < tokenB ? -1 : tokenA > tokenB ? 1 : 0),
  );
  const hash = new Fnv1a64();
  for (const [token, id] of sorted) hash.update(`${id}\t${JSON.stringify(token)}\n`);
  const specialIds = { bos: special.bos, eos: special.eos, pad: special.pad, unk: special.unk, all: [...special.all].sort((a, b) => a - b) };
  hash.update(`special\t${JSON.stringify(specialIds)}\n`);
  return `fnv1a64:${hash.hex()}`;
}
