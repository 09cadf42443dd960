/**
 * What a session looks like in IndexedDB, and the pure mappings between the stores' state and
 * those records. One small `session` record holds the settings and the selection; files,
 * trajectories and scores have one record each, so a change writes only what changed
 * (data-records.ts).
 *
 * The session record is made of what the stores declare (state/persisted.ts): each store names
 * the record keys it fills and their schemas, and everything here — the record's schema, writing
 * it, restoring it — loops over PERSISTED_STORES. A new setting is a field in its store's schema.
 */
import { z } from 'zod';
import type { ScoredTrajectory } from '../../core/scoring';
import type { AnyPersistDeclaration, RestoreContext } from '../persisted';
import { appPersistence, type LoadedFile, type LoadedTrajectory } from '../store';
import { analysisPersistence, linkedViewPersistence } from '../analysis';
import { listPersistence } from '../list-view';
import { modelPersistence } from '../scoring';
import { SESSION_SCHEMA, loadedTrajectoryOf, scoresOf, type CachedScore, type FileRecord, type JobRecord, type NoteRecord, type ResultRecord, type TrajectoryRecord } from './data-records';
import { sessionNoteSchema } from '../notes';

export * from './data-records';
export { persistedModelChoice, type PersistedModelChoice } from '../scoring';

/** Every store the session keeps something of, in the record's key order. */
export const PERSISTED_STORES = [appPersistence, linkedViewPersistence, analysisPersistence, listPersistence, modelPersistence] as const;

type Declarations = typeof PERSISTED_STORES;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type FieldsOf<D> = D extends { fields: infer F } ? F : never;
type LiveOf<D> = D extends { live(state: never): infer L } ? L : never;
/** Every declared field's schema, by record key. */
type DeclaredShape = UnionToIntersection<FieldsOf<Declarations[number]>>;

function declaredShape(): DeclaredShape {
  const shape: Record<string, z.ZodType> = {};
  for (const declaration of PERSISTED_STORES as readonly AnyPersistDeclaration[]) {
    for (const [key, schema] of Object.entries(declaration.fields)) {
      if (key in shape) throw new Error(`two stores declare the session record key “${key}”`);
      shape[key] = schema as z.ZodType;
    }
  }
  return shape as DeclaredShape;
}

/** Validates what comes back from storage: a record from an older build, or edited by hand, must not break the app. */
export const sessionRecordSchema = z.object({
  schema: z.literal(SESSION_SCHEMA),
  savedAt: z.number(),
  /** File ids in the list's order (file records are keyed by id). */
  fileOrder: z.array(z.number().int()),
  ...declaredShape(),
});

export type SessionRecord = z.infer<typeof sessionRecordSchema>;

/** The state the session record is made of, gathered from the stores: the files, and each declaration's live values. */
export type SessionSnapshot = { files: readonly LoadedFile[] } & UnionToIntersection<LiveOf<Declarations[number]>>;

/** Each store's live values, read from the stores now. */
export function snapshotOfStores(files: readonly LoadedFile[]): SessionSnapshot {
  const snapshot: Record<string, unknown> = { files };
  for (const declaration of PERSISTED_STORES as readonly AnyPersistDeclaration[]) Object.assign(snapshot, declaration.live(declaration.store.getState()));
  return snapshot as SessionSnapshot;
}

export function sessionRecordOf(s: SessionSnapshot, savedAt: number): SessionRecord {
  const record: Record<string, unknown> = { schema: SESSION_SCHEMA, savedAt, fileOrder: s.files.map((f) => f.id) };
  for (const declaration of PERSISTED_STORES as readonly AnyPersistDeclaration[]) {
    const live = Object.fromEntries(Object.keys(declaration.fields).map((key) => [key, (s as Record<string, unknown>)[key]]));
    Object.assign(record, declaration.save(live));
  }
  return record as SessionRecord;
}

/** Puts a validated session record's values back in the stores. */
export function restoreStores(record: SessionRecord, context: RestoreContext): void {
  for (const declaration of PERSISTED_STORES as readonly AnyPersistDeclaration[]) declaration.store.setState(declaration.restore(record, context));
}

/** Calls `onChange` whenever a store changes a value the session record keeps; returns the unsubscribers. */
export function watchPersistedStores(onChange: () => void): (() => void)[] {
  return (PERSISTED_STORES as readonly AnyPersistDeclaration[]).map((declaration) =>
    declaration.store.subscribe((state: Record<string, unknown>, previous: Record<string, unknown>) => {
      if (declaration.watch.some((key) => state[key as string] !== previous[key as string])) onChange();
    }),
  );
}

/** The session record without its time stamp: two snapshots with the same text need no write. */
export function sessionRecordText(record: SessionRecord): string {
  return JSON.stringify({ ...record, savedAt: 0 });
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
  /** Notes on spans (absent: read before the notes store existed). */
  notes?: readonly unknown[];
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
  /** Notes by id, on trajectories restored. */
  notes: Record<string, NoteRecord>;
  /** Saved notes whose trajectory is gone, or that are not valid notes (another build, edited by hand): to delete. */
  staleNoteIds: string[];
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
  const notes: Record<string, NoteRecord> = {};
  const staleNoteIds: string[] = [];
  for (const raw of stored.notes ?? []) {
    const parsed = sessionNoteSchema.safeParse(raw);
    if (parsed.success && parsed.data.key in trajectories) notes[parsed.data.id] = parsed.data;
    else {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string') staleNoteIds.push(id);
    }
  }
  return { files, trajectories, results, resultCacheKeys, session: stored.session, job: stored.job, orphanTrajectoryKeys, staleResultKeys, notes, staleNoteIds };
}

