/**
 * A ZIP archive read as a stream, entry by entry, with fflate's streaming `Unzip` (stored and
 * DEFLATE entries): each entry's bytes go to its reader as they are decompressed, so a large
 * archive is never held whole, and an entry is held at most once. The central directory at the end
 * is not needed for that; its end record is still checked so that an archive cut short between
 * two entries is refused rather than silently read in part.
 */
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { ArchiveError, type ArchiveBudget } from './archive-limits';
import { feedStream, PushedStream } from './pushed-stream';

/** Reads one entry's bytes to their end (or cancels the stream); never throws. */
export type EntryReader = (stream: ReadableStream<Uint8Array>) => Promise<void>;

/** Says how to read the entry at `path` (slash-separated, as the archive names it), or null to skip it. */
export type EntryVisitor = (path: string) => EntryReader | null;

const LOCAL_HEADER = 0x04034b50;
/** Entry names of archives (an `.eval` log is a ZIP too). */
const ARCHIVE_NAME = /\.(eval|zip|tar|tgz|gz)$/i;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** The end record (22 bytes) plus the longest comment it may carry. */
const END_RECORD_SEARCH = 22 + 0xffff;

export function isZip(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const signature = (head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24)) >>> 0;
  return signature === LOCAL_HEADER || signature === END_OF_CENTRAL_DIRECTORY;
}

/** Keeps the last bytes of the archive, where the end-of-central-directory record is. */
class Tail {
  private bytes = new Uint8Array(0);

  add(chunk: Uint8Array): void {
    if (chunk.length >= END_RECORD_SEARCH) {
      this.bytes = chunk.slice(chunk.length - END_RECORD_SEARCH);
      return;
    }
    const keep = Math.min(this.bytes.length, END_RECORD_SEARCH - chunk.length);
    const next = new Uint8Array(keep + chunk.length);
    next.set(this.bytes.subarray(this.bytes.length - keep));
    next.set(chunk, keep);
    this.bytes = next;
  }

  hasEndRecord(): boolean {
    const b = this.bytes;
    for (let i = b.length - 22; i >= 0; i--) {
      if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 0x05 && b[i + 3] === 0x06) return true;
    }
    return false;
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads every entry of a ZIP archive in order. Throws ArchiveError when the archive is truncated or
 * damaged or passes the budget; the readers of entries read before that have finished by then.
 */
export async function readZipEntries(stream: ReadableStream<Uint8Array>, visit: EntryVisitor, budget: ArchiveBudget): Promise<number> {
  const readers: Promise<void>[] = [];
  let current: PushedStream | null = null;
  let failure: ArchiveError | null = null;
  let entries = 0;
  const tail = new Tail();
  const fail = (error: ArchiveError) => {
    failure ??= error;
    throw error;
  };
  const unzip = new Unzip((file: UnzipFile) => {
    if (failure) return;
    const isFolder = file.name.endsWith('/');
    if (file.compression === 0 && file.size === undefined && ARCHIVE_NAME.test(file.name)) {
      // Stored without its size (a data descriptor follows it): a stream reader finds its end only
      // by looking for the next header, which the archive inside it has too (fflate's Unzip would
      // read the inner archive's entries as this one's).
      fail(new ArchiveError(`the ZIP entry ${JSON.stringify(file.name)} is an archive stored uncompressed without its size (a data descriptor), which cannot be read as a stream: re-create the archive with compression`));
    }
    if (!isFolder) {
      entries += 1;
      budget.countEntry();
    }
    const reader = isFolder ? null : visit(file.name);
    const pushed = reader ? new PushedStream() : null;
    if (pushed && reader) {
      current = pushed;
      readers.push(reader(pushed.stream));
    }
    file.ondata = (error, data, final) => {
      if (error) {
        // A limit passed in a callback below comes back through fflate's decoder as its error.
        if (error instanceof ArchiveError || failure) fail(failure ?? (error as ArchiveError));
        const damaged = new ArchiveError(`the ZIP entry ${JSON.stringify(file.name)} cannot be read (${reasonOf(error)})`);
        pushed?.fail(damaged);
        fail(damaged);
      }
      try {
        budget.countBytes(data.length);
      } catch (limit) {
        fail(limit as ArchiveError);
      }
      pushed?.push(data);
      if (final) pushed?.close();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    await feedStream(
      stream,
      (slice, final) => {
        tail.add(slice);
        unzip.push(slice, final);
      },
      async () => {
        await current?.ready();
      },
    );
  } catch (error) {
    const archiveError =
      error instanceof ArchiveError ? error : new ArchiveError(`the ZIP archive is truncated or damaged (${reasonOf(error)})`);
    (current as PushedStream | null)?.fail(archiveError);
    await Promise.all(readers);
    throw failure ?? archiveError;
  }
  await Promise.all(readers);
  if (!tail.hasEndRecord()) throw new ArchiveError('the ZIP archive is truncated (it has no end-of-central-directory record)');
  return entries;
}
