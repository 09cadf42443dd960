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
