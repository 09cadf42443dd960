/**
 * Reads any input the app and the CLI accept from one byte stream: a trajectory file (JSON, JSON
 * Lines: ingest.ts), an Inspect AI `.eval` log, or a folder packed as a `.zip`, `.tar` or
 * `.tar.gz`, told apart by their first bytes, never by name. A ZIP whose entries have Inspect's
 * layout (inspect-eval.ts) is an Inspect log; any other archive is read like a folder: each
 * trajectory file in it (entry-names.ts) as if opened alone, archives inside it too, so a zipped
 * folder of `.eval` logs loads. Errors name the archive, then the entry, then the place in it
 * (`logs.zip: run/a.json:3:14: invalid JSON: …`); a file of unknown shape inside is listed and
 * the rest load. Trajectories from an archive of files get the entry's path in their id
 * (`run/a.json:7`), so that two `7`s from different files stay two.
 */
import { parseTrajectoryStream, type FileError, type ParseResult, type StreamOptions } from '../ingest';
import { ArchiveBudget, ArchiveError, type ArchiveLimits } from './archive-limits';
import { appendAll } from '../../arrays';
import { isTrajectoryPath } from './entry-names';
import { InspectEvalLog, isInspectLogEntry } from './inspect-eval';
import { peekStream } from './pushed-stream';
import { isGzip, isTarHeader, readTarEntries } from './tar-entries';
import { isZip, readZipEntries, type EntryVisitor } from './zip-entries';

export interface InputOptions extends StreamOptions {
  /** Bounds on archives (archive-limits.ts); the defaults when absent. */
  limits?: ArchiveLimits;
}

type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

const KIND_NAMES: Record<ArchiveKind, string> = { zip: 'ZIP archive', tar: 'tar archive', 'tar.gz': 'gzip-compressed tar archive' };

/** What the first bytes (512 of them) say the input is; undefined for text (or anything else: ingest.ts says what). */
export function archiveKindOf(head: Uint8Array): ArchiveKind | undefined {
  if (isZip(head)) return 'zip';
  if (isGzip(head)) return 'tar.gz';
  if (isTarHeader(head)) return 'tar';
  return undefined;
}

/** Reads one input; `name` is how errors and ids call it (a path, or a file's name). */
export async function readTrajectoryInput(name: string, stream: ReadableStream<Uint8Array>, options: InputOptions = {}): Promise<ParseResult> {
  return readInput(name, stream, options, new ArchiveBudget(options.limits), 0);
}

async function readInput(name: string, stream: ReadableStream<Uint8Array>, options: StreamOptions, budget: ArchiveBudget, depth: number): Promise<ParseResult> {
  const { head, stream: whole } = await peekStream(stream, 512);
  const kind = archiveKindOf(head);
  if (!kind) return parseTrajectoryStream(name, whole, options);
  if (depth >= budget.limits.maxDepth) {
    await whole.cancel().catch(() => undefined);
    return { trajectories: [], errors: [{ file: name, message: `${name}: an archive inside archives ${depth} deep: at most ${budget.limits.maxDepth} levels are read` }] };
  }
  return readArchive(name, countingProgress(whole, options), kind, options, budget, depth);
}

/** The stream, calling `onProgress` with the bytes read so far (the page's progress line for a big archive). */
function countingProgress(stream: ReadableStream<Uint8Array>, options: StreamOptions): ReadableStream<Uint8Array> {
  const { onProgress, signal } = options;
  if (!onProgress && !signal) return stream;
  let bytesRead = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        signal?.throwIfAborted();
        bytesRead += chunk.length;
        onProgress?.(bytesRead);
        controller.enqueue(chunk);
      },
    }),
  );
}

/** An error from a file inside the archive, said as the archive's: `<archive>: <entry>…`. */
function withinArchive(archive: string, error: FileError): FileError {
  const entry = error.entry === undefined ? error.file : `${error.file}: ${error.entry}`;
  return { ...error, file: archive, entry, message: `${archive}: ${error.message}` };
}

/**
 * Reads an archive's entries. Files inside are read one after another in archive order, and with
 * `onPartial` what each yields is handed over as it is parsed (JSON Lines in an archive stream as
 * they do alone); an Inspect log's samples wait for its header, which comes last.
 */
async function readArchive(name: string, stream: ReadableStream<Uint8Array>, kind: ArchiveKind, options: StreamOptions, budget: ArchiveBudget, depth: number): Promise<ParseResult> {
  const inspectLog = new InspectEvalLog(name);
  const collected: ParseResult = { trajectories: [], errors: [] };
  /** A file's trajectories and errors, said as the archive's: ids and messages get the entry's path. */
  const deliver = (entry: string, part: ParseResult) => {
    for (const trajectory of part.trajectories) {
      trajectory.id = `${entry}:${trajectory.id}`;
      const inner = trajectory.metadata.archiveEntry;
      trajectory.metadata.archiveEntry = typeof inner === 'string' ? `${entry}: ${inner}` : entry;
    }
    const within: ParseResult = { trajectories: part.trajectories, errors: part.errors.map((error) => withinArchive(name, error)) };
    if (options.onPartial) {
      if (within.trajectories.length > 0 || within.errors.length > 0) options.onPartial(within);
      return;
    }
    appendAll(collected.trajectories, within.trajectories);
    appendAll(collected.errors, within.errors);
  };
  let files = 0;
  let skipped = 0;
  // Each file's reader starts when the one before it has finished, so files arrive in archive order.
  let previous: Promise<void> = Promise.resolve();
  const visit: EntryVisitor = (path) => {
    if (kind === 'zip' && isInspectLogEntry(path)) return inspectLog.reader(path);
    if (!isTrajectoryPath(path)) {
      skipped += 1;
      return null;
    }
    files += 1;
    const after = previous;
    let finished!: () => void;
    previous = new Promise((resolve) => (finished = resolve));
    return async (entryStream) => {
      try {
        await after;
        deliver(path, await readInput(path, entryStream, { signal: options.signal, onPartial: (part) => deliver(path, part) }, budget, depth + 1));
      } catch (error) {
        // The archive broke off inside this entry: the archive's own error says so.
        if (!(error instanceof ArchiveError)) throw error;
      } finally {
        finished();
      }
    };
  };
  let failure: FileError | null = null;
  // Entries whose CRC-32 is not the one their local header records: not read, the others are.
  const damaged: FileError[] = [];
  const onDamaged = (entry: string, error: ArchiveError) => damaged.push({ file: name, entry, message: `${name}: ${error.message}` });
  try {
    if (kind === 'zip') await readZipEntries(stream, visit, budget, onDamaged);
    else await readTarEntries(stream, kind === 'tar.gz', visit, budget);
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    failure = { file: name, message: `${name}: ${error.message}` };
  }

  const out: ParseResult = inspectLog.seen ? inspectLog.finish(failure !== null) : { trajectories: [], errors: [] };
  appendAll(out.trajectories, collected.trajectories);
  appendAll(out.errors, collected.errors);
  appendAll(out.errors, damaged);
  if (failure) out.errors.push(failure);
  else if (!inspectLog.seen && files === 0) {
    const left = skipped === 0 ? 'it is empty' : `${skipped} ${skipped === 1 ? 'entry was' : 'entries were'} left out by name`;
    out.errors.push({ file: name, message: `${name}: the ${KIND_NAMES[kind]} holds no trajectory files (.json, .jsonl, .traj, .eval or archives; ${left})` });
  }
  return out;
}
