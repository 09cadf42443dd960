/**
 * What a session looks like in IndexedDB, and the pure mappings between the stores' state and
 * those records. One small `session` record holds the settings and the selection; files,
 * trajectories and scores have one record each, so a change writes only what changed.
 */
import { z } from 'zod';
import { TOKEN_AGGREGATIONS, STEP_AGGREGATIONS } from '../../core/advantage/aggregate';
import { ADVANTAGE_MODES, SCORING_METHODS } from '../../core/advantage/progress';
import { FAILURE_PREDICTORS } from '../../core/metrics/failure';
import type { RenderMode } from '../../core/render/types';
import type { DevicePreference, ModelDtype } from '../../worker/device';
import type { ScoredTrajectory } from '../../worker/scoringClient';
import type { ScoreRecord } from '../../core/scores/format';
import { packRecordOf, packTrajectoryScores, unpackRecordOf, unpackTrajectoryScores, type PackedScoreRecord } from '../../core/scores/packed';
import { VIEW_TABS, type LoadedFile, type LoadedTrajectory, type ViewTab } from '../store';
import type { AnalysisSettings, StepFocus, TokenRange } from '../analysis';
import type { ListFilters } from '../listView';
import type { ModelChoice } from '../scoring';

/** Bumped when the records change shape; a session of another schema is not restored. */
export const SESSION_SCHEMA = 1;

/** The model choice without dropped files (they are not kept): folder names, so the UI can ask for them again. */
export type PersistedModelChoice =
  | { kind: 'demo' }
  | { kind: 'hub'; policy: string; reference: string }
  | { kind: 'folders'; policy: string | null; reference: string | null };

export interface PersistedModelSettings {
  choice: PersistedModelChoice;
  dtype: ModelDtype;
  devicePreference: DevicePreference;
  render: RenderMode;
}

export interface SessionRecord {
  schema: typeof SESSION_SCHEMA;
  savedAt: number;
  /** File ids in the list's order (file records are keyed by id). */
  fileOrder: number[];
  selectedKey: string | null;
  activeTab: ViewTab;
  selectedStep: StepFocus | null;
  tokenRange: TokenRange | null;
  analysis: AnalysisSettings;
  listFilters: ListFilters;
  model: PersistedModelSettings;
  /** `pairKey|dtype` of the pair that produced the results (null: none, or precomputed only). */
  resultsPairKey: string | null;
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

const stepFocusSchema = z.object({ key: z.string(), message: z.number().int().nonnegative() });

/** Validates what comes back from storage: a record from an older build, or edited by hand, must not break the app. */
export const sessionRecordSchema = z.object({
  schema: z.literal(SESSION_SCHEMA),
  savedAt: z.number(),
  fileOrder: z.array(z.number().int()),
  selectedKey: z.string().nullable(),
  activeTab: z.enum(VIEW_TABS),
  selectedStep: stepFocusSchema.nullable(),
  tokenRange: stepFocusSchema.extend({ start: z.number().int().nonnegative(), end: z.number().int().positive() }).nullable(),
  analysis: z.object({
    evaluation: z.object({
      method: z.enum(SCORING_METHODS),
      tokenAggregation: z.enum(TOKEN_AGGREGATIONS),
      stepAggregation: z.enum(STEP_AGGREGATIONS),
      mode: z.enum(ADVANTAGE_MODES),
      beta: z.number().positive(),
      k: z.number().int().positive(),
    }),
    predictor: z.enum(FAILURE_PREDICTORS),
    colourRange: z.number().positive(),
    showWhitespace: z.boolean(),
  }),
  listFilters: z.object({
    fileId: z.union([z.number().int(), z.literal('all')]),
    format: z.string(),
    task: z.string(),
    outcome: z.enum(['all', 'success', 'failure', 'unlabelled']),
    mistake: z.enum(['all', 'labelled', 'unlabelled']),
    search: z.string(),
    sort: z.enum(['loaded', 'score-desc', 'score-asc']),
  }),
  model: z.object({
    choice: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('demo') }),
      z.object({ kind: z.literal('hub'), policy: z.string(), reference: z.string() }),
      z.object({ kind: z.literal('folders'), policy: z.string().nullable(), reference: z.string().nullable() }),
    ]),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16']),
    devicePreference: z.enum(['auto', 'webgpu', 'wasm']),
    render: z.enum(['plain', 'chat']),
  }),
  resultsPairKey: z.string().nullable(),
}) satisfies z.ZodType<SessionRecord>;

export function persistedModelChoice(choice: ModelChoice, remembered: { policy: string | null; reference: string | null } | null): PersistedModelChoice {
  switch (choice.kind) {
    case 'demo':
      return { kind: 'demo' };
    case 'hub':
      return { kind: 'hub', policy: choice.policy, reference: choice.reference };
    case 'folders':
      return { kind: 'folders', policy: choice.policy?.name ?? remembered?.policy ?? null, reference: choice.reference?.name ?? remembered?.reference ?? null };
  }
}

/** The state the session record is made of, gathered from the stores. */
export interface SessionSnapshot {
  files: readonly LoadedFile[];
  selectedKey: string | null;
  activeTab: ViewTab;
  selectedStep: StepFocus | null;
  tokenRange: TokenRange | null;
  analysis: AnalysisSettings;
  listFilters: ListFilters;
  model: { choice: ModelChoice; rememberedFolders: { policy: string | null; reference: string | null } | null; dtype: ModelDtype; devicePreference: DevicePreference; render: RenderMode };
  resultsPairKey: string | null;
}

export function sessionRecordOf(s: SessionSnapshot, savedAt: number): SessionRecord {
  return {
    schema: SESSION_SCHEMA,
    savedAt,
    fileOrder: s.files.map((f) => f.id),
    selectedKey: s.selectedKey,
    activeTab: s.activeTab,
    selectedStep: s.selectedStep,
    tokenRange: s.tokenRange,
    analysis: s.analysis,
    listFilters: s.listFilters,
    model: { choice: persistedModelChoice(s.model.choice, s.model.rememberedFolders), dtype: s.model.dtype, devicePreference: s.model.devicePreference, render: s.model.render },
    resultsPairKey: s.resultsPairKey,
  };
}

/** The session record without its time stamp: two snapshots with the same text need no write. */
export function sessionRecordText(record: SessionRecord): string {
  return JSON.stringify({ ...record, savedAt: 0 });
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

/** Everything read back from IndexedDB at startup. */
export interface StoredSession {
  session: SessionRecord | null;
  files: readonly FileRecord[];
  trajectories: readonly TrajectoryRecord[];
  results: readonly ResultRecord[];
  /** Cache entries the results point at. */
  cached: ReadonlyMap<string, CachedScore>;
  job: JobRecord | null;
}

export interface RestoredSession {
  files: LoadedFile[];
  trajectories: Record<string, LoadedTrajectory>;
  results: Record<string, ScoredTrajectory>;
  resultCacheKeys: Record<string, string>;
  session: SessionRecord | null;
  job: JobRecord | null;
  /** Saved trajectories that no saved file lists (a file closed, or not finished, before a reload): to delete. */
  orphanTrajectoryKeys: string[];
  /** Saved results whose trajectory or cache entry is gone: to delete. */
  staleResultKeys: string[];
}

/** Rebuilds the stores' state from the saved records; tolerates every kind of partial save. */
export function restoredSessionOf(stored: StoredSession): RestoredSession {
  const trajectoryByKey = new Map(stored.trajectories.map((t) => [t.key, t] as const));
  const unpacked = new Map<string, LoadedTrajectory>();
  const loaded = (key: string): LoadedTrajectory => {
    let trajectory = unpacked.get(key);
    if (!trajectory) unpacked.set(key, (trajectory = loadedTrajectoryOf(trajectoryByKey.get(key)!)));
    return trajectory;
  };
  const fileById = new Map(stored.files.map((f) => [f.id, f] as const));
  const order = stored.session?.fileOrder ?? [];
  // Files the session record lists, in its order, then any saved after that record was written.
  const ids = [...order.filter((id) => fileById.has(id)), ...stored.files.map((f) => f.id).filter((id) => !order.includes(id)).sort((a, b) => a - b)];
  const files: LoadedFile[] = [];
  const trajectories: Record<string, LoadedTrajectory> = {};
  for (const id of ids) {
    const record = fileById.get(id)!;
    const present = record.trajectoryKeys.filter((k) => trajectoryByKey.has(k));
    const missing = record.trajectoryKeys.length - present.length;
    const errors = missing > 0 ? [...record.errors, { file: record.name, message: `${record.name}: ${missing} of ${record.trajectoryKeys.length} trajectories were not kept in browser storage; open the file again to see them.` }] : record.errors;
    files.push({ id: record.id, name: record.name, size: record.size, status: record.status, bytesRead: record.size, trajectoryKeys: present, errors });
    for (const key of present) trajectories[key] = loaded(key);
  }
  const orphanTrajectoryKeys = stored.trajectories.map((t) => t.key).filter((k) => !(k in trajectories));
  const results: Record<string, ScoredTrajectory> = {};
  const resultCacheKeys: Record<string, string> = {};
  const staleResultKeys: string[] = [];
  for (const record of stored.results) {
    const { key } = record;
    const saved = 'cacheKey' in record ? stored.cached.get(record.cacheKey)?.result : record.result;
    if (!saved || !(key in trajectories)) {
      staleResultKeys.push(key);
      continue;
    }
    results[key] = { ...scoresOf(saved), key };
    if ('cacheKey' in record) resultCacheKeys[key] = record.cacheKey;
  }
  return { files, trajectories, results, resultCacheKeys, session: stored.session, job: stored.job, orphanTrajectoryKeys, staleResultKeys };
}

/** The trajectories an interrupted job still has to score: asked for, still loaded, neither scored nor failed. */
export function keysLeftInJob(job: JobRecord, results: Readonly<Record<string, unknown>>, trajectories: Readonly<Record<string, unknown>>): string[] {
  const failed = new Set(job.failedKeys);
  return job.keys.filter((k) => k in trajectories && !(k in results) && !failed.has(k));
}

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
