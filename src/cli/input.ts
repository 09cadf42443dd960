/**
 * How every command reads its input files: as a stream (a file of any size is never one string;
 * JSON Lines are parsed line by line as they are read), with the same refusal of a missing file,
 * a folder, binary and non-UTF-8 bytes for `inspect`, `score` and `eval` (src/core/trajectory/text-input.ts).
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseTrajectoryStream, type FileError, type ParseResult } from '../core/trajectory/ingest';
import { LineSplitter, readTextStream } from '../core/trajectory/text-input';
import { ScoreJsonlReader, type ScoreJsonlParse } from '../core/scores/format';

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function cannotRead(file: string, why: string): FileError {
  return { file, message: `${file}: cannot read the file: ${why}` };
}

/** The file's bytes as a web stream, or why it cannot be read. */
async function openBytes(file: string): Promise<ReadableStream<Uint8Array> | FileError> {
  try {
    const handle = await open(file, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      return cannotRead(file, READ_FAILURES.EISDIR);
    }
    return Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return cannotRead(file, (code && READ_FAILURES[code]) ?? (error instanceof Error ? error.message : String(error)));
  }
}

/**
 * Reads a trajectory file as the app does. With `onPartial`, JSON Lines trajectories (and their
 * errors) are handed over as they are parsed and the result holds only the rest.
 */
export async function readTrajectoryFile(file: string, onPartial?: (part: ParseResult) => void): Promise<ParseResult> {
  const bytes = await openBytes(file);
  if (!(bytes instanceof ReadableStream)) return { trajectories: [], errors: [bytes] };
  return parseTrajectoryStream(file, bytes, { onPartial });
}

/** Reads a score file (JSON Lines, docs/eval.md) line by line, or says why it cannot be read at all. */
export async function readScoreFile(file: string): Promise<{ parse: ScoreJsonlParse } | { error: FileError }> {
  const bytes = await openBytes(file);
  if (!(bytes instanceof ReadableStream)) return { error: bytes };
  const reader = new ScoreJsonlReader(file);
  const lines = new LineSplitter((line, lineNumber) => reader.line(line, lineNumber));
  const read = await readTextStream(file, bytes, (text) => lines.push(text));
  if (read.error) return { error: read.error };
  lines.end();
  return { parse: reader.result() };
}
