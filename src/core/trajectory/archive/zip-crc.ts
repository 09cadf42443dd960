/**
 * CRC-32 checks of a ZIP archive's entries while it is read as a stream (zip-entries.ts): fflate's
 * `Unzip` never checks them, so a damaged stored entry (or a damaged DEFLATE stream that still
 * inflates) would be read with wrong bytes. Each entry that is read gets its CRC-32 computed over
 * its decompressed bytes as they come, and compared with the CRC the archive records:
 *
 * - from the entry's local header, at the entry's end, before its reader sees the stream close
 *   (entries without a data descriptor: Python's zipfile, which writes Inspect's `.eval` logs, and
 *   most writers writing to a file). fflate does not pass the header on, so it is found here in
 *   the raw bytes: fflate takes the first local-header signature where the previous entry's data
 *   ends, and calls back synchronously as soon as the whole header is buffered, so the header is
 *   among the last bytes pushed; it is taken only when its name and method are the entry's.
 * - from the central directory at the archive's end, for entries with a data descriptor (their CRC
 *   comes after the data: streaming writers, Info-ZIP writing to a pipe) and for entries whose
 *   local header could not be found unambiguously. Their content is delivered by then, so a
 *   mismatch says their trajectories may be wrong. A central directory larger than the kept tail
 *   of the archive (TAIL_BYTES) is not read, and these entries then go unchecked.
 */
import { strFromU8 } from 'fflate';
import { crc32 } from '../../bundle';
import { ArchiveError } from './archive-limits';

export const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
export const END_RECORD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_RECORD = 0x06064b50;
/** A local header's most bytes: 30 fixed, then a name and an extra field of up to 65535 bytes each. */
const MAX_LOCAL_HEADER = 30 + 2 * 0xffff;
/** The last bytes of the raw archive kept for its end record and central directory. */
export const TAIL_BYTES = 8 << 20;
/** The end record (22 bytes) plus the longest comment it may carry. */
const END_RECORD_SEARCH = 22 + 0xffff;
const SCAN_BLOCK = 64 * 1024;

const u16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const u64 = (b: Uint8Array, i: number) => u32(b, i) + u32(b, i + 4) * 2 ** 32;
const hex = (crc: number) => crc.toString(16).padStart(8, '0');

function damaged(name: string, actual: number, recorded: number, atEnd: boolean): ArchiveError {
  const text = `the ZIP entry ${JSON.stringify(name)} is damaged: its bytes have CRC-32 ${hex(actual)}, the archive records ${hex(recorded)}`;
  return new ArchiveError(atEnd ? `${text} (found at the archive's end, after the entry was read: its trajectories may be wrong)` : text);
}

/** The last bytes (at least `keep` of them) of a stream, as a list of chunks, with offsets counted from the stream's start. */
export class ByteTail {
  private readonly chunks: Uint8Array[] = [];
  private readonly offsets: number[] = [];
  private kept = 0;
  /** Bytes added so far. */
  end = 0;

  constructor(private readonly keep: number) {}

  /** The offset of the first byte kept. */
  get start(): number {
    return this.end - this.kept;
  }

  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk.slice());
    this.offsets.push(this.end);
    this.end += chunk.length;
    this.kept += chunk.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0].length >= this.keep) {
      this.kept -= this.chunks.shift()!.length;
      this.offsets.shift();
    }
  }

  /** The bytes from `from` to `to`, or null when they are not all kept (a view when one chunk holds them). */
  bytes(from: number, to: number): Uint8Array | null {
    if (from < this.start || to > this.end || from > to) return null;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= from) lo = mid;
      else hi = mid - 1;
    }
    const first = this.chunks[lo];
    if (to - this.offsets[lo] <= first.length) return first.subarray(from - this.offsets[lo], to - this.offsets[lo]);
    const out = new Uint8Array(to - from);
    for (let i = lo, at = 0; at < out.length; i++) {
      const part = this.chunks[i].subarray(Math.max(0, from - this.offsets[i]), to - this.offsets[i]);
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

interface LocalHeader {
  at: number;
  length: number;
  flags: number;
  crc: number;
  zip64: boolean;
}

/** Finds each entry's local header in the raw bytes, where fflate found it. */
class LocalHeaders {
  /** Where fflate looks for the next local header: the end of the last header found, and of its data when its size is known. */
  private from = 0;
  /** Bytes fflate skips at a data-descriptor signature after the last entry's data (12, 20 with ZIP64), 0 when it had its size. */
  private descriptorSkip = 0;
  /** False after an entry whose header was not found: the next one is then taken only when it is the one candidate. */
  private exact = true;

  constructor(private readonly tail: ByteTail) {}

  /** The header fflate just parsed (called in its file callback), or null when it cannot be told for sure. */
  find(name: string, compression: number, size: number | undefined, sliceStart: number): LocalHeader | null {
    // fflate calls back in the first push that completes the header (and one byte after it).
    const lowest = Math.max(this.from, sliceStart - MAX_LOCAL_HEADER - 1 - 20);
    const found = lowest < this.tail.start ? null : this.exact ? this.firstMatch(lowest, name, compression) : this.soleMatch(lowest, name, compression);
    if (!found) {
      this.exact = false;
      return null;
    }
    this.from = found.at + found.length + (found.flags & 8 ? 0 : (size ?? 0));
    this.descriptorSkip = found.flags & 8 ? (found.zip64 ? 20 : 12) : 0;
    this.exact = true;
    return found;
  }

  /** Calls `visit` with each offset from `from` on whose 4 bytes are `signature`s; `visit` returns the next offset to look at. */
  private scan(from: number, visit: (at: number, signature: number) => number | 'stop'): void {
    const end = this.tail.end;
    let block: Uint8Array = new Uint8Array(0);
    let blockAt = from;
    for (let at = from; at + 4 <= end; ) {
      if (at < blockAt || at + 4 > blockAt + block.length) {
        blockAt = at;
        block = this.tail.bytes(at, Math.min(end, at + SCAN_BLOCK))!;
      }
      const next = visit(at, u32(block, at - blockAt));
      if (next === 'stop') return;
      at = next;
    }
  }

  /** As fflate: the first local-header signature, past a data descriptor's skipped bytes. */
  private firstMatch(from: number, name: string, compression: number): LocalHeader | null {
    let found: LocalHeader | null = null;
    let localOnly = this.descriptorSkip === 0;
    this.scan(from, (at, signature) => {
      if (signature === LOCAL_HEADER) {
        found = this.header(at, name, compression);
        return 'stop';
      }
      if (!localOnly && signature === DATA_DESCRIPTOR) {
        localOnly = true;
        return at + this.descriptorSkip;
      }
      if (!localOnly && signature === CENTRAL_HEADER) localOnly = true;
      return at + 1;
    });
    return found;
  }

  /** The one local header with the entry's name and method, or null when there are none or several. */
  private soleMatch(from: number, name: string, compression: number): LocalHeader | null {
    const found: LocalHeader[] = [];
    this.scan(from, (at, signature) => {
      const header = signature === LOCAL_HEADER ? this.header(at, name, compression) : null;
      if (header) found.push(header);
      return found.length > 1 ? 'stop' : at + 1;
    });
    return found.length === 1 ? found[0] : null;
  }

  /** The local header at `at` when it is whole among the bytes pushed and names the entry. */
  private header(at: number, name: string, compression: number): LocalHeader | null {
    const fixed = this.tail.bytes(at, at + 30);
    if (!fixed) return null;
    const nameLength = u16(fixed, 26);
    const length = 30 + nameLength + u16(fixed, 28);
    if (at + length >= this.tail.end || u16(fixed, 8) !== compression) return null;
    const flags = u16(fixed, 6);
    if (strFromU8(this.tail.bytes(at + 30, at + 30 + nameLength)!, !(flags & 0x800)) !== name) return null;
    // As fflate: ZIP64 when a 32-bit size is 0xFFFFFFFF and the extra field has the ZIP64 block (id 1).
    let zip64 = false;
    if (u32(fixed, 18) === 0xffffffff || u32(fixed, 22) === 0xffffffff) {
      const extra = this.tail.bytes(at + 30 + nameLength, at + length)!;
      for (let i = 0; i + 4 < extra.length; i += 4 + u16(extra, i + 2)) if (u16(extra, i) === 1) zip64 = true;
    }
    return { at, length, flags, crc: u32(fixed, 14), zip64 };
  }
}

/** The CRC-32s the central directory records, by entry name in archive order; null when it is not all in `bytes` (the archive's last bytes) or unreadable. */
function centralDirectoryCrcs(bytes: Uint8Array): Map<string, number[]> | null {
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - END_RECORD_SEARCH); i--) {
    if (u32(bytes, i) === END_RECORD && i + 22 + u16(bytes, i + 20) === bytes.length) {
      end = i;
      break;
    }
  }
  if (end < 0) return null;
  let count = u16(bytes, end + 10);
  let size = u32(bytes, end + 12);
  let directoryEnd = end;
  if (count === 0xffff || size === 0xffffffff || u32(bytes, end + 16) === 0xffffffff) {
    // ZIP64: the locator just before the end record, the ZIP64 end record (56 bytes) just before it.
    const record = end - 20 - 56;
    if (record < 0 || u32(bytes, end - 20) !== ZIP64_LOCATOR || u32(bytes, record) !== ZIP64_END_RECORD) return null;
    count = u64(bytes, record + 32);
    size = u64(bytes, record + 40);
    directoryEnd = record;
  }
  // Found by its size, back from its end: offsets would be wrong for an archive with bytes before it.
  let at = directoryEnd - size;
  if (at < 0) return null;
  const crcs = new Map<string, number[]>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > directoryEnd || u32(bytes, at) !== CENTRAL_HEADER) return null;
    const nameLength = u16(bytes, at + 28);
    const name = strFromU8(bytes.subarray(at + 46, at + 46 + nameLength), !(u16(bytes, at + 8) & 0x800));
    const list = crcs.get(name) ?? [];
    list.push(u32(bytes, at + 16));
    crcs.set(name, list);
    at += 46 + nameLength + u16(bytes, at + 30) + u16(bytes, at + 32);
  }
  return at === directoryEnd ? crcs : null;
}

/** One entry's check: `update` with each decompressed chunk, then `finish` at its end. */
export interface EntryCrc {
  update(data: Uint8Array): void;
  /** The entry's error when its CRC-32 is not the one its local header records; null when it is, or when it is checked at the archive's end. */
  finish(): ArchiveError | null;
}

/** The CRC-32 checks of one archive read as a stream: `push` each raw slice before fflate gets it. */
export class ZipCrcCheck {
  private readonly tail = new ByteTail(TAIL_BYTES);
  private readonly headers = new LocalHeaders(this.tail);
  private sliceStart = 0;
  /** Entries seen per name: the n-th entry of a name is the n-th of the central directory's. */
  private readonly seen = new Map<string, number>();
  private readonly atEnd: { name: string; nth: number; crc: number }[] = [];

  push(slice: Uint8Array): void {
    this.sliceStart = this.tail.end;
    this.tail.add(slice);
  }

  /** Called in fflate's file callback for every entry; the check of an entry that is read, null for one that is not. */
  entry(name: string, compression: number, size: number | undefined, read: boolean): EntryCrc | null {
    const nth = this.seen.get(name) ?? 0;
    this.seen.set(name, nth + 1);
    const header = this.headers.find(name, compression, size, this.sliceStart);
    if (!read) return null;
    const recorded = header && !(header.flags & 8) ? header.crc : null;
    let crc = 0;
    return {
      update: (data) => {
        crc = crc32(data, crc);
      },
      finish: () => {
        if (recorded === null) this.atEnd.push({ name, nth, crc });
        return recorded === null || recorded === crc ? null : damaged(name, crc, recorded, false);
      },
    };
  }

  /** Whether the archive's last bytes hold an end-of-central-directory record (an archive cut between entries has none). */
  hasEndRecord(): boolean {
    const b = this.tail.bytes(Math.max(this.tail.start, this.tail.end - END_RECORD_SEARCH), this.tail.end)!;
    for (let i = b.length - 22; i >= 0; i--) if (u32(b, i) === END_RECORD) return true;
    return false;
  }

  /** Once the archive is read: the first entry checked at the end whose CRC-32 is not the central directory's, or null. */
  endCheck(): ArchiveError | null {
    if (this.atEnd.length === 0) return null;
    // A central directory not all among the kept bytes (or unreadable) is not checked.
    const recorded = centralDirectoryCrcs(this.tail.bytes(this.tail.start, this.tail.end)!);
    for (const { name, nth, crc } of this.atEnd) {
      const expected = recorded?.get(name)?.[nth];
      if (expected !== undefined && expected !== crc) return damaged(name, crc, expected, true);
    }
    return null;
  }
}
