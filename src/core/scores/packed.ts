/**
 * A score record with its per-token arrays packed: numbers in Float64Arrays (exact: every JSON
 * number is a double), token texts joined into one string with end offsets. Structured clone —
 * IndexedDB's put(), postMessage — copies a typed array or a string in one block, but walks a
 * plain array element by element: for a 100,000-token trajectory that is tens of milliseconds
 * on the page's thread, and the typed arrays' buffers can be transferred from a worker instead.
 */
import type { ScoreRecord, ScoreStep } from './format';

/** Marks a packed record (a plain one never has this key). */
export const PACKED_SCORES = 'progress-advantage-packed-scores/1';

export interface PackedTokens {
  text: string;
  /** ends[i]: where token i ends in `text` (token i starts at ends[i − 1], or 0). */
  ends: Uint32Array;
}

export type PackedScoreStep = Omit<ScoreStep, 'policy' | 'reference' | 'topkMean' | 'entropy' | 'tokenIds' | 'tokens'> & {
  policy: Float64Array;
  reference: Float64Array;
  topkMean?: Float64Array | null;
  entropy?: Float64Array | null;
  tokenIds?: Float64Array | null;
  tokens?: PackedTokens | null;
};

/** ScoreRecord without `steps` (a key-remapping Omit: the record's index signature would make Omit drop its named keys). */
type ScoreRecordFields = { [Key in keyof ScoreRecord as Key extends 'steps' ? never : Key]: ScoreRecord[Key] };

export type PackedScoreRecord = ScoreRecordFields & { packed: typeof PACKED_SCORES; steps: PackedScoreStep[] };

export function isPackedScoreRecord(value: unknown): value is PackedScoreRecord {
  return typeof value === 'object' && value !== null && (value as { packed?: unknown }).packed === PACKED_SCORES;
}

const packNumbers = (values: readonly number[] | null | undefined): Float64Array | null | undefined => (values == null ? values : Float64Array.from(values));
const unpackNumbers = (values: Float64Array | null | undefined): number[] | null | undefined => (values == null ? values : plainNumbers(values));

/** A plain array of the values: a preallocated loop is several times faster than Array.from on a typed array in V8. */
function plainNumbers(values: Float64Array): number[] {
  const out = new Array<number>(values.length);
  for (let index = 0; index < values.length; index++) out[index] = values[index];
  return out;
}

function packTokens(tokens: readonly string[] | null | undefined): PackedTokens | null | undefined {
  if (tokens == null) return tokens;
  const ends = new Uint32Array(tokens.length);
  let at = 0;
  tokens.forEach((token, index) => {
    at += token.length;
    ends[index] = at;
  });
  return { text: tokens.join(''), ends };
}

function unpackTokens(tokens: PackedTokens | null | undefined): string[] | null | undefined {
  if (tokens == null) return tokens;
  const out = new Array<string>(tokens.ends.length);
  let start = 0;
  for (let index = 0; index < tokens.ends.length; index++) {
    out[index] = tokens.text.slice(start, tokens.ends[index]);
    start = tokens.ends[index];
  }
  return out;
}

/** Keys of optional arrays are written only when the plain step has them (a round trip gives the same keys). */
function withOptional<T extends object>(target: T, key: string, source: object, value: unknown): T {
  if (key in source) (target as Record<string, unknown>)[key] = value;
  return target;
}

export function packScoreRecord(record: ScoreRecord): PackedScoreRecord {
  const steps = record.steps.map((step): PackedScoreStep => {
    const { policy, reference, topkMean, entropy, tokenIds, tokens, ...rest } = step;
    const packed: PackedScoreStep = { ...rest, policy: Float64Array.from(policy), reference: Float64Array.from(reference) };
    withOptional(packed, 'topkMean', step, packNumbers(topkMean));
    withOptional(packed, 'entropy', step, packNumbers(entropy));
    withOptional(packed, 'tokenIds', step, packNumbers(tokenIds));
    withOptional(packed, 'tokens', step, packTokens(tokens));
    return packed;
  });
  return { ...record, packed: PACKED_SCORES, steps };
}

/** The plain record (a record that is not packed is returned as it is: older saved sessions hold plain ones). */
export function unpackScoreRecord(record: PackedScoreRecord | ScoreRecord): ScoreRecord {
  if (!isPackedScoreRecord(record)) return record;
  const { packed: _packed, steps, ...rest } = record;
  return {
    // The record's own keys (a loose object: extra keys are kept).
    ...(rest as ScoreRecordFields),
    steps: steps.map((step): ScoreStep => {
      const { policy, reference, topkMean, entropy, tokenIds, tokens, ...stepRest } = step;
      const plain: ScoreStep = { ...stepRest, policy: plainNumbers(policy), reference: plainNumbers(reference) };
      withOptional(plain, 'topkMean', step, unpackNumbers(topkMean));
      withOptional(plain, 'entropy', step, unpackNumbers(entropy));
      withOptional(plain, 'tokenIds', step, unpackNumbers(tokenIds));
      withOptional(plain, 'tokens', step, unpackTokens(tokens));
      return plain;
    }),
  };
}

/** The buffers of a packed record, to transfer with postMessage (they are detached on the sending side). */
export function packedBuffers(record: PackedScoreRecord): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const step of record.steps) {
    for (const array of [step.policy, step.reference, step.topkMean, step.entropy, step.tokenIds, step.tokens?.ends]) {
      if (array) buffers.push(array.buffer as ArrayBuffer);
    }
  }
  return buffers;
}

/** A trajectory read from a score file carries its record in `metadata.scoreRecord`. */
interface WithMetadata {
  metadata: Record<string, unknown>;
}

function isPlainScoreRecord(value: unknown): value is ScoreRecord {
  return typeof value === 'object' && value !== null && Array.isArray((value as { steps?: unknown }).steps) && !isPackedScoreRecord(value);
}

/** The trajectory with its score record packed (the same object when it has none). */
export function packTrajectoryScores<T extends WithMetadata>(trajectory: T): T {
  const { scoreRecord } = trajectory.metadata;
  if (!isPlainScoreRecord(scoreRecord)) return trajectory;
  return { ...trajectory, metadata: { ...trajectory.metadata, scoreRecord: packScoreRecord(scoreRecord) } };
}

/** The trajectory with its score record plain again (the same object when it holds no packed one). */
export function unpackTrajectoryScores<T extends WithMetadata>(trajectory: T): T {
  const { scoreRecord } = trajectory.metadata;
  if (!isPackedScoreRecord(scoreRecord)) return trajectory;
  return { ...trajectory, metadata: { ...trajectory.metadata, scoreRecord: unpackScoreRecord(scoreRecord) } };
}

/** The buffers of the packed score records of these trajectories. */
export function trajectoryScoreBuffers(trajectories: readonly WithMetadata[]): ArrayBuffer[] {
  return trajectories.flatMap((trajectory) => (isPackedScoreRecord(trajectory.metadata.scoreRecord) ? packedBuffers(trajectory.metadata.scoreRecord) : []));
}

/** Something holding a score record under `record` (a bundle entry's score, a scored trajectory). */
interface WithRecord {
  record: ScoreRecord;
}

export type PackedRecordOf<T extends WithRecord> = Omit<T, 'record'> & { record: PackedScoreRecord };

export function packRecordOf<T extends WithRecord>(holder: T): PackedRecordOf<T> {
  return { ...holder, record: packScoreRecord(holder.record) };
}

/** The holder with its record plain (one saved plain by an older session passes through). */
export function unpackRecordOf<T extends WithRecord>(holder: Omit<T, 'record'> & { record: PackedScoreRecord | ScoreRecord }): T {
  return { ...holder, record: unpackScoreRecord(holder.record) } as unknown as T;
}
