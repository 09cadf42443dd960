/**
 * The records of a session's data in IndexedDB — files, trajectories, results, score-cache
 * entries, the running job — and the pure mappings between them and the stores' objects. They do
 * not depend on any store (the session record, which the stores' declarations shape, is in
 * records.ts): the scoring store and the score cache use them without reaching the stores.
 */
import type { ScoredTrajectory } from '../../core/scoring';
import type { ScoreRecord } from '../../core/scores/format';
import { packRecordOf, packTrajectoryScores, unpackRecordOf, unpackTrajectoryScores, type PackedScoreRecord } from '../../core/scores/packed';
import type { ModelDtype, RenderMode } from '../../core/settings';
import type { LoadedFile, LoadedTrajectory } from '../store';
import type { NoteBody } from '../../core/notes';

/** Bumped when the records change shape; a session of another schema is not restored. */
export const SESSION_SCHEMA = 1;

/**
 * The session record as the database holds it: its keys are declared by the stores (see
 * records.ts), and what is read back is checked against that schema before use.
 */
export interface StoredSessionRecord {
  schema: number;
  savedAt: number;
  fileOrder: number[];
  [key: string]: unknown;
}

/** A file as saved: only files that finished reading are saved, with all their trajectories. */
export interface FileRecord {
  id: number;
  name: string;
  size: number;
  status: 'done' | 'failed';
  trajectoryKeys: string[];
  errors: LoadedFile['errors'];
}

/** A note as saved: as the notes store holds it (checked against its schema when read back). */
export type NoteRecord = NoteBody & { id: string; key: string };

/** A trajectory as saved: a score file's record in its metadata is packed (see core/scores/packed.ts). */
export type TrajectoryRecord = LoadedTrajectory;

/** Scores as saved: the record packed (older sessions saved it plain; both read back). */
export type StoredScores = Omit<ScoredTrajectory, 'key' | 'record'> & { record: ScoreRecord | PackedScoreRecord };

/** A score record's arrays, copied by structured clone in one block each: a put() of a long trajectory stays short. */
export function storedTrajectoryOf(loaded: LoadedTrajectory): TrajectoryRecord {
  const trajectory = packTrajectoryScores(loaded.trajectory);
  return trajectory === loaded.trajectory ? loaded : { ...loaded, trajectory };
}

export function loadedTrajectoryOf(record: TrajectoryRecord): LoadedTrajectory {
  const trajectory = unpackTrajectoryScores(record.trajectory);
  return trajectory === record.trajectory ? record : { ...record, trajectory };
}

export function storedScoresOf(result: ScoredTrajectory): StoredScores {
  const { key: _key, ...rest } = result;
  return packRecordOf(rest);
}

export function scoresOf(stored: StoredScores): Omit<ScoredTrajectory, 'key'> {
  return unpackRecordOf<Omit<ScoredTrajectory, 'key'>>(stored);
}

/**
 * A trajectory's scores: scores a model pair computed point into the score cache; figures that
 * came with a file and are not in its trajectory (an analysis bundle's) are kept inline. A score
 * file's figures are neither: they are read again from the trajectory (see `isDerivableResult`).
 */
export type ResultRecord = { key: string; cacheKey: string } | { key: string; result: StoredScores };

/** Precomputed figures that are the trajectory's own score record (a score file's) need no saving. */
export function isDerivableResult(result: ScoredTrajectory, trajectory: LoadedTrajectory | undefined): boolean {
  return result.device === 'precomputed' && trajectory !== undefined && trajectory.trajectory.metadata.scoreRecord === result.record;
}

/** The record that saves a result, or null when there is nothing to save. */
export function resultRecordOf(key: string, result: ScoredTrajectory, cacheKey: string | undefined, trajectory: LoadedTrajectory | undefined): ResultRecord | null {
  if (cacheKey !== undefined) return { key, cacheKey };
  if (isDerivableResult(result, trajectory)) return null;
  return { key, result: storedScoresOf(result) };
}

export interface CachedScore {
  cacheKey: string;
  pairKey: string;
  dtype: ModelDtype;
  render: RenderMode;
  contentHash: string;
  result: StoredScores;
  savedAt: number;
}

/** A scoring job, saved when it starts and deleted when it ends: if it is still there at startup, the job was interrupted. */
export interface JobRecord {
  pairKey: string;
  /** The pair as a person reads it: `policy-name / reference-name`. */
  pairLabel: string;
  dtype: ModelDtype;
  render: RenderMode;
  /** The trajectories the worker was asked to score. */
  keys: string[];
  /** Those that failed (they are not retried by a resume). */
  failedKeys: string[];
  startedAt: number;
}

/** A file is saved once it has finished reading (a half-read file cannot be finished after a reload). */
export function fileRecordOf(file: LoadedFile): FileRecord | null {
  if (file.status === 'parsing') return null;
  return { id: file.id, name: file.name, size: file.size, status: file.status, trajectoryKeys: file.trajectoryKeys, errors: file.errors };
}

/**
 * What changed between the saved objects and the current ones, by identity (the stores replace
 * objects, never mutate them): keys to write and keys to delete. O(n) reference comparisons.
 */
export function changedKeys<T>(saved: ReadonlyMap<string, T>, current: Readonly<Record<string, T>>): { changed: string[]; removed: string[] } {
  const changed: string[] = [];
  const removed: string[] = [];
  for (const key in current) if (saved.get(key) !== current[key]) changed.push(key);
  for (const key of saved.keys()) if (!(key in current)) removed.push(key);
  return { changed, removed };
}

/** The trajectories an interrupted job still has to score: asked for, still loaded, neither scored nor failed. */
export function keysLeftInJob(job: JobRecord, results: Readonly<Record<string, unknown>>, trajectories: Readonly<Record<string, unknown>>): string[] {
  const failed = new Set(job.failedKeys);
  return job.keys.filter((k) => k in trajectories && !(k in results) && !failed.has(k));
}

/** What a visit would find in the database: files, their trajectories, and those with a score. */
export interface KeptCounts {
  files: number;
  trajectories: number;
  scores: number;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** One sentence a person reads after a storage error: what the next visit will find. */
export function keptSummary(kept: KeptCounts): string {
  return `Kept in this browser: ${plural(kept.files, 'file', 'files')}, ${plural(kept.trajectories, 'trajectory', 'trajectories')}, ${plural(kept.scores, 'scored trajectory', 'scored trajectories')}.`;
}

/** A write the browser refused: a full quota (saving goes on when there is room), or any other error (saving stopped). */
export interface SaveFailure {
  kind: 'quota' | 'failed';
  /** The browser's own words. */
  reason: string;
  /** What the database holds, read back after the failure; a text when it could not be read. */
  kept: KeptCounts | { unreadable: string };
}

/** The notice for a failed write: what happened, what the next visit will find (read back, not assumed), and how to keep the rest. */
export function saveFailureText(failure: SaveFailure): string {
  const what =
    failure.kind === 'quota'
      ? 'Browser storage is full: the latest changes are kept in this tab only, not for the next visit.'
      : `Saving the session failed (${failure.reason}) and this tab has stopped saving: changes are kept in this tab only, not for the next visit.`;
  const kept =
    'unreadable' in failure.kept
      ? `Nothing could be read back from browser storage (${failure.kept.unreadable}): the next visit may find none of this session.`
      : `${keptSummary(failure.kept)} (read back just now)`;
  return `${what} ${kept} Download the session as a bundle to keep all of it.`;
}
