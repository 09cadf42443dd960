/**
 * How every command reads its input files: as a stream (a file of any size is never one string;
 * JSON Lines are parsed line by line as they are read), with the same refusal of a missing file,
 * binary and non-UTF-8 bytes for `inspect`, `score` and `eval` (src/core/trajectory/text-input.ts).
 * Trajectory inputs (`inspect`, `score`) may also be Inspect `.eval` logs, `.zip` / `.tar` /
 * `.tar.gz` archives (core/trajectory/archive/read-input.ts) and folders, read recursively.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readTrajectoryInput } from '../core/trajectory/archive/read-input';
import { isTrajectoryPath } from '../core/trajectory/archive/entry-names';
import type { FileError, ParseResult } from '../core/trajectory/ingest';
import { LineSplitter, readTextStream } from '../core/trajectory/text-input';
import { ScoreJsonlReader, type ScoreJsonlParse } from '../core/scores/format';
import { appendAll } from '../core/arrays';

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
 * Reads a trajectory input as the app does: a file (JSON, JSON Lines, an Inspect `.eval` log, an
 * archive of files) or a folder. With `onPartial`, trajectories (and their errors) are handed over
 * as they are parsed and the result holds only the rest.
 */
export async function readTrajectoryFile(file: string, onPartial?: (part: ParseResult) => void): Promise<ParseResult> {
  if (await isFolder(file)) return readTrajectoryFolder(file, onPartial);
  const bytes = await openBytes(file);
  if (!(bytes instanceof ReadableStream)) return { trajectories: [], errors: [bytes] };
  return readTrajectoryInput(file, bytes, { onPartial });
}

async function isFolder(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false; // openBytes says why it cannot be read
  }
}

/** The trajectory files under a folder (core/trajectory/archive/entry-names.ts), as paths relative to it with `/`, in path order (`2.json` before `10.json`). */
export async function trajectoryFilesIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter(isTrajectoryPath);
  return files.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * A folder read like an archive of its files: every trajectory file in it, recursively, each named
 * by its path (`logs/run1/a.json`) in errors; trajectory ids get the path inside the folder
 * (`run1/a.json:7`), so that two files' `7` stay two.
 */
async function readTrajectoryFolder(folder: string, onPartial?: (part: ParseResult) => void): Promise<ParseResult> {
  let files: string[];
  try {
    files = await trajectoryFilesIn(folder);
  } catch (error) {
    return { trajectories: [], errors: [{ file: folder, message: `${folder}: cannot read the folder: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  if (files.length === 0) {
    return { trajectories: [], errors: [{ file: folder, message: `${folder}: the folder holds no trajectory files (.json, .jsonl, .traj, .eval or archives)` }] };
  }
  const out: ParseResult = { trajectories: [], errors: [] };
  for (const relative of files) {
    const withPath = (part: ParseResult): ParseResult => {
      for (const trajectory of part.trajectories) trajectory.id = `${relative}:${trajectory.id}`;
      return part;
    };
    const file = path.join(folder, relative);
    const bytes = await openBytes(file);
    const result = bytes instanceof ReadableStream ? withPath(await readTrajectoryInput(file, bytes, { onPartial: onPartial && ((part) => onPartial(withPath(part))) })) : { trajectories: [], errors: [bytes] };
    if (onPartial) onPartial(result);
    else {
      appendAll(out.trajectories, result.trajectories);
      appendAll(out.errors, result.errors);
    }
  }
  return out;
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
