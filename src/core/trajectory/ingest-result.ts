/**
 * What reading one file yields (ingest.ts, session-lines.ts): its trajectories and its errors, each
 * error naming the file and the place, and the ids made unique within the file.
 */
import type { Trajectory } from './types';

export interface FileError {
  file: string;
  /** Self-contained: starts with the file name and the place, then says what was expected. */
  message: string;
  /**
   * For a problem inside an archive (an Inspect `.eval` log, a `.zip` or `.tar.gz` of files:
   * archive/read-input.ts): the entry's path in it, after the archive's name in `message`
   * (`logs.zip: run/a.json:3:14: …`); `line` and `column` are then the entry's.
   */
  entry?: string;
  /** 1-based line of the problem (JSON syntax errors, JSON Lines records). */
  line?: number;
  /** 1-based column (JSON syntax errors). */
  column?: number;
  /** 0-based record index: the JSON Lines record, or the item of a multi-record JSON value. */
  record?: number;
  /**
   * 'notice': the record was loaded, without a label that could not be read (the message says
   * which and why: src/core/trajectory/formats/labels.ts, validate.ts). Absent: an error; what it
   * names (the file, a record) was not loaded.
   */
  severity?: 'notice';
}

export interface ParseResult {
  trajectories: Trajectory[];
  errors: FileError[];
}

/** The place of a problem: `file`, `file:line` or `file:line:column`. */
function place(file: string, line?: number, column?: number): string {
  if (line === undefined) return file;
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

export function fileError(file: string, text: string, where: { line?: number; column?: number; record?: number } = {}): FileError {
  const error: FileError = { file, message: `${place(file, where.line, where.column)}: ${text}` };
  if (where.line !== undefined) error.line = where.line;
  if (where.column !== undefined) error.column = where.column;
  if (where.record !== undefined) error.record = where.record;
  return error;
}

/** A notice that a record loaded without one of its labels. */
export function labelNotice(file: string, text: string, where: { line?: number; record?: number }): FileError {
  return { ...fileError(file, `${text}; the trajectory is loaded without this label`, where), severity: 'notice' };
}

/** Makes ids unique within one file: later duplicates get `~2`, `~3`, … */
export class IdRegistry {
  private readonly seen = new Set<string>();

  claim(trajectory: Trajectory): void {
    let id = trajectory.id;
    for (let n = 2; this.seen.has(id); n++) id = `${trajectory.id}~${n}`;
    this.seen.add(id);
    trajectory.id = id;
  }
}
