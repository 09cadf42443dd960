/**
 * A tar archive (POSIX ustar, with pax and GNU long names), optionally gzip-compressed, read as a
 * stream: fflate's streaming `Gunzip` in front of a small reader of 512-byte tar blocks, so each
 * entry's bytes go to its reader as they arrive and the archive is never held whole. No tar library
 * on npm runs in a browser worker without Node's built-ins; the format is small enough to read here.
 */
import { Gunzip } from 'fflate';
import { crc32 } from '../../bundle';
import { ArchiveError, type ArchiveBudget } from './archive-limits';
import { feedStream, PushedStream } from './pushed-stream';
import type { EntryVisitor } from './zip-entries';

const BLOCK = 512;
const NOT_TAR = 'is not a tar archive (its first block is no tar header)';

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function ascii(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return new TextDecoder().decode(block.subarray(start, end));
}

/** A numeric header field: octal text, or base-256 when its first byte has the high bit set (GNU, files over 8 GiB). */
function numberField(block: Uint8Array, start: number, length: number): number {
  if (block[start] & 0x80) {
    let value = block[start] & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i];
    return value;
  }
  const text = ascii(block, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Whether a 512-byte block is a tar header: its checksum (the sum of its bytes, the checksum field read as spaces) matches. */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < BLOCK) return false;
  const stored = numberField(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return Number.isFinite(stored) && sum === stored && sum !== 8 * 0x20;
}

/** pax extended header records: `<length> <key>=<value>\n`. */
function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  let path: string | undefined;
  for (const record of text.split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/s.exec(record);
    if (match && match[1] === 'path') path = match[2];
  }
  return path;
}

interface Header {
  path: string;
  size: number;
  type: string;
}

/** Reads tar blocks pushed in any slicing and calls back per entry. */
class TarReader {
  private buffer = new Uint8Array(BLOCK);
  private buffered = 0;
  /** The entry whose data is being read, and how many of its bytes (and padding) are still to come. */
  private entry: { header: Header; remaining: number; padding: number; out: PushedStream | null; meta: Uint8Array[] | null } | null = null;
  private nextPath: string | undefined;
  private ended = false;
  private seenHeader = false;
  readonly readers: Promise<void>[] = [];
  current: PushedStream | null = null;
  entries = 0;

  constructor(
    private readonly visit: EntryVisitor,
    private readonly budget: ArchiveBudget,
  ) {}

  push(data: Uint8Array): void {
    let at = 0;
    while (at < data.length && !this.ended) {
      const entry = this.entry;
      if (entry && entry.remaining > 0) {
        const part = data.subarray(at, at + Math.min(entry.remaining, data.length - at));
        entry.remaining -= part.length;
        at += part.length;
        this.budget.countBytes(part.length);
        if (entry.meta) entry.meta.push(part.slice());
        else entry.out?.push(part);
        if (entry.remaining === 0) this.finishData();
        continue;
      }
      if (entry && entry.padding > 0) {
        const skip = Math.min(entry.padding, data.length - at);
        entry.padding -= skip;
        at += skip;
        if (entry.padding === 0) this.entry = null;
        continue;
      }
      const take = Math.min(BLOCK - this.buffered, data.length - at);
      this.buffer.set(data.subarray(at, at + take), this.buffered);
      this.buffered += take;
      at += take;
      if (this.buffered === BLOCK) {
        this.buffered = 0;
        this.header(this.buffer);
      }
    }
  }

  /** Throws when the archive stopped inside an entry or before its end-of-archive marker. */
  end(): void {
    if (!this.seenHeader) throw new ArchiveError(NOT_TAR);
    if (this.entry || this.buffered > 0) throw new ArchiveError('the tar archive is truncated (it ends inside an entry)');
    if (!this.ended) throw new ArchiveError('the tar archive is truncated (it has no end-of-archive marker)');
  }

  fail(error: ArchiveError): void {
    this.entry?.out?.fail(error);
  }

  private header(block: Uint8Array): void {
    if (block.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    if (!isTarHeader(block)) {
      throw new ArchiveError(this.seenHeader ? 'the tar archive is damaged (a header block fails its checksum)' : NOT_TAR);
    }
    this.seenHeader = true;
    const name = ascii(block, 0, 100);
    const prefix = block[257] === 0x75 /* u of ustar */ ? ascii(block, 345, 155) : '';
    const header: Header = { path: prefix ? `${prefix}/${name}` : name, size: numberField(block, 124, 12), type: String.fromCharCode(block[156] || 0x30) };
    const padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    // pax ('x') and GNU long names ('L') name the entry that follows.
    const meta = header.type === 'x' || header.type === 'L' ? [] : null;
    let out: PushedStream | null = null;
    const isFile = header.type === '0' || header.type === '7';
    if (isFile) {
      const path = this.nextPath ?? header.path;
      this.nextPath = undefined;
      header.path = path;
      this.entries += 1;
      this.budget.countEntry();
      const reader = path.endsWith('/') ? null : this.visit(path);
      if (reader) {
        out = new PushedStream();
        this.current = out;
        this.readers.push(reader(out.stream));
      }
    } else if (!meta) {
      this.nextPath = undefined;
    }
    this.entry = { header, remaining: header.size, padding, out, meta };
    if (header.size === 0) this.finishData();
  }

  private finishData(): void {
    const entry = this.entry;
    if (!entry) return;
    entry.out?.close();
    if (entry.meta) {
      const bytes = new Uint8Array(entry.meta.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const chunk of entry.meta) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      this.nextPath = entry.header.type === 'L' ? ascii(bytes, 0, bytes.length) : (paxPath(bytes) ?? this.nextPath);
    }
    if (entry.padding === 0) this.entry = null;
  }
}

/** Keeps the last bytes seen in `into` (gzip's 8-byte trailer). */
function keepLast(into: Uint8Array, chunk: Uint8Array): void {
  if (chunk.length >= into.length) {
    into.set(chunk.subarray(chunk.length - into.length));
    return;
  }
  into.copyWithin(0, chunk.length);
  into.set(chunk, into.length - chunk.length);
}

/** Reads every entry of a tar archive (gzip-compressed when `gzipped`); throws ArchiveError as readZipEntries does. */
export async function readTarEntries(stream: ReadableStream<Uint8Array>, gzipped: boolean, visit: EntryVisitor, budget: ArchiveBudget): Promise<number> {
  const tar = new TarReader(visit, budget);
  // fflate leaves gzip's trailer (CRC-32 and length of the last member) unchecked: checked here, so
  // that a cut that happens to fall between two deflate blocks is still found.
  let crc = 0;
  let length = 0;
  const trailer = new Uint8Array(8);
  const gunzip = gzipped
    ? new Gunzip((chunk) => {
        crc = crc32(chunk, crc);
        length += chunk.length;
        tar.push(chunk);
      })
    : null;
  if (gunzip) {
    gunzip.onmember = () => {
      crc = 0;
      length = 0;
    };
  }
  const what = gzipped ? 'the gzip-compressed tar archive' : 'the tar archive';
  try {
    await feedStream(
      stream,
      (slice, final) => {
        if (!gunzip) return tar.push(slice);
        keepLast(trailer, slice);
        gunzip.push(slice, final);
      },
      async () => {
        await tar.current?.ready();
      },
    );
    if (gunzip) {
      const view = new DataView(trailer.buffer);
      if (view.getUint32(0, true) !== crc || view.getUint32(4, true) !== length % 2 ** 32) {
        throw new ArchiveError(`${what} is truncated or damaged (its gzip checksum or length does not match)`);
      }
    }
    tar.end();
  } catch (error) {
    const archiveError = error instanceof ArchiveError ? error : new ArchiveError(`${what} is truncated or damaged (${error instanceof Error ? error.message : String(error)})`);
    tar.fail(archiveError);
    await Promise.all(tar.readers);
    throw archiveError;
  }
  await Promise.all(tar.readers);
  return tar.entries;
}

/**
 * Whether gzip-compressed bytes (the first few KiB of a file are enough) hold a tar archive rather
 * than one compressed document (an analysis bundle is gzip-compressed JSON): the first 512
 * decompressed bytes are a tar header.
 */
export function gzipHoldsTar(compressedHead: Uint8Array): boolean {
  if (!isGzip(compressedHead)) return false;
  const block = new Uint8Array(BLOCK);
  let filled = 0;
  const gunzip = new Gunzip((chunk) => {
    const part = chunk.subarray(0, BLOCK - filled);
    block.set(part, filled);
    filled += part.length;
  });
  try {
    gunzip.push(compressedHead, false);
  } catch {
    return false;
  }
  return filled === BLOCK && isTarHeader(block);
}
