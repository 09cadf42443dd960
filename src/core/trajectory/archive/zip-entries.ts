/**
 * A ZIP archive read as a stream, entry by entry, with fflate's streaming `Unzip` (stored and
 * DEFLATE entries): each entry's bytes go to its reader as they are decompressed, so a large
 * archive is never held whole, and an entry is held at most once. The central directory at the end
 * is not needed for that; its end record is still checked so that an archive cut short between
 * two entries is refused rather than silently read in part.
 *
 * fflate checks no CRC-32: zip-crc.ts does, for each entry that is read. An entry whose local
 * header records its CRC (no data descriptor: Python's zipfile, so Inspect's `.eval` logs, and
 * most writers) is checked at its end, and when damaged its stream fails instead of closing (its
 * content is not taken) and `onDamaged` gets the error; the entries after it are read on. Entries
 * with a data descriptor (streaming writers) are checked against the central directory once the
 * archive is read, which fails the archive, as their content is already delivered; a central
 * directory larger than the last 8 MiB of the archive, kept for this, is not checked.
 */
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { ArchiveError, type ArchiveBudget } from './archive-limits';
import { feedStream, PushedStream } from './pushed-stream';
import { END_RECORD, LOCAL_HEADER, ZipCrcCheck } from './zip-crc';

/** Reads one entry's bytes to their end (or cancels the stream); never throws. */
export type EntryReader = (stream: ReadableStream<Uint8Array>) => Promise<void>;

/** Says how to read the entry at `path` (slash-separated, as the archive names it), or null to skip it. */
export type EntryVisitor = (path: string) => EntryReader | null;

/** Entry names of archives (an `.eval` log is a ZIP too). */
const ARCHIVE_NAME = /\.(eval|zip|tar|tgz|gz)$/i;

export function isZip(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const signature = (head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24)) >>> 0;
  return signature === LOCAL_HEADER || signature === END_RECORD;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads every entry of a ZIP archive in order. Throws ArchiveError when the archive is truncated or
 * damaged or passes the budget; the readers of entries read before that have finished by then. An
 * entry found damaged by its local header's CRC-32 goes to `onDamaged` (the reading goes on).
 */
export async function readZipEntries(
  stream: ReadableStream<Uint8Array>,
  visit: EntryVisitor,
  budget: ArchiveBudget,
  onDamaged: (entry: string, error: ArchiveError) => void = () => undefined,
): Promise<number> {
  const readers: Promise<void>[] = [];
  let current: PushedStream | null = null;
  let failure: ArchiveError | null = null;
  let entries = 0;
  const crcs = new ZipCrcCheck();
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
    const crc = crcs.entry(file.name, file.compression, file.size, pushed !== null);
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
      crc?.update(data);
      pushed?.push(data);
      if (!final) return;
      const damaged = crc?.finish();
      if (damaged) {
        pushed?.fail(damaged);
        onDamaged(file.name, damaged);
      } else pushed?.close();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    await feedStream(
      stream,
      (slice, final) => {
        crcs.push(slice);
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
  if (!crcs.hasEndRecord()) throw new ArchiveError('the ZIP archive is truncated (it has no end-of-central-directory record)');
  const damaged = crcs.endCheck();
  if (damaged) throw damaged;
  return entries;
}
