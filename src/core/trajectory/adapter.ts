/**
 * The contract every trajectory format adapter fulfils (Netron's model-factory pattern):
 * a cheap `detect` on the parsed JSON value, a full `parse` that validates as it normalises,
 * and an `explain` that says how close a value came to the format when `detect` says no.
 */
import type { FormatError } from './formats/shape';
import type { FormatId, Trajectory } from './types';

/** How far a value got through a format's signature, and where it stopped fitting. */
export interface Mismatch {
  /** Signature facts satisfied before the first miss; the highest-scoring format is the closest miss. */
  score: number;
  /** JSON path of the first place that did not fit ('' = the value itself). */
  path: string;
  /** What the format expected there. */
  expected: string;
  /** What the value holds there (see `describeValue`). */
  found: string;
}

export interface ParseContext {
  /** The file's name as given by the user (for ids and messages only; adapters never read files). */
  fileName: string;
  /** Position of this value among the file's records (the JSON Lines record index); undefined for a whole JSON file. */
  recordIndex?: number;
  /**
   * Reports one record of a multi-record value (an array of results, a simulation list) that could
   * not be read, so the other records still load. `index` is the record's position in that value.
   */
  skipRecord(index: number, error: FormatError): void;
  /**
   * Reports a label the record holds that cannot be read (formats/labels.ts): the record loads
   * without it and the file gets a notice. `index` as for `skipRecord`, undefined for a single record.
   */
  dropLabel(error: FormatError, index?: number): void;
  /**
   * Set when the value nests deeper than json-depth.ts allows: the error for a record that does
   * (multi-record readers refuse it through `skipRecord` before reading it), or null.
   */
  tooDeep?(record: unknown): FormatError | null;
}

export interface FormatAdapter {
  id: FormatId;
  /** Human name used in messages, e.g. `τ²-bench simulations`. */
  name: string;
  /** The top-level shape in one line, for the "no format matched" message. */
  signature: string;
  /** True when the value has this format's signature (top-level keys and the first records' shape). */
  detect(value: unknown): boolean;
  /** Null when the value fits the signature; otherwise how close it came and where it stopped fitting. */
  explain(value: unknown): Mismatch | null;
  /** Normalises a detected value. Throws `FormatError` for a value that cannot be read as a whole. */
  parse(value: unknown, ctx: ParseContext): Trajectory[];
}

/**
 * Session-shaped JSON Lines (docs/architecture.md §2): formats that spread one trajectory over many
 * lines of a file — a Claude Code session, a Codex CLI rollout — or group a file's lines into
 * several trajectories (one per trace). The ingestion reads such a file line by line as usual; when
 * a session adapter claims the file's first lines, every line goes to that adapter's reader instead
 * of being read as a record of its own.
 */
export interface SessionAdapter {
  id: FormatId;
  /** Human name used in messages, e.g. `Claude Code session`. */
  name: string;
  /** The lines' shape in one line, for the README and messages. */
  signature: string;
  /**
   * True when the file's first parsed lines (up to SESSION_HEAD_LINES of them, fewer in a shorter
   * file; lines that are not JSON are left out) are this format's. Cheap: it sees only these values.
   */
  detectHead(head: readonly unknown[]): boolean;
  /** A reader for one file. */
  open(ctx: SessionContext): SessionReader;
}

/** How many parsed lines a session adapter sees to recognise its format. */
export const SESSION_HEAD_LINES = 3;

export interface SessionContext {
  /** The file's name as given by the user (for ids and messages only). */
  fileName: string;
  /** Reports a label a line holds that cannot be read: the trajectory loads without it and the file gets a notice naming `line`. */
  dropLabel(error: FormatError, line: number): void;
  /**
   * Reports a part of the file that cannot be read while the rest loads (a trace of an OTLP JSON
   * Lines file, a span on a line): the ingestion reports it at `file:line` as an error.
   */
  refuse(error: FormatError, line: number): void;
}

/** A trajectory a session reader produced, with the 1-based line it starts at (its errors name it; `metadata.sourceLine`). */
export interface SessionTrajectory {
  trajectory: Trajectory;
  line: number;
}

export interface SessionReader {
  /**
   * Reads one line's value (`line` is 1-based). Throws `FormatError` for a line that cannot be read:
   * the ingestion reports it as `file:line` and leaves that line out; the other lines are kept.
   * Returns the trajectories this line completed, where the format can tell (else none until `end`).
   */
  readLine(value: unknown, line: number): SessionTrajectory[];
  /**
   * The end of the file: every trajectory not yet returned. Throws `FormatError` when the file as a
   * whole cannot be read (reported as `file: …`).
   */
  end(): SessionTrajectory[];
}
