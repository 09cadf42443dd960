/**
 * The IndexedDB database that holds the session and the score cache (through `idb`). One
 * connection per page, opened at startup; every other module reaches it through `sessionDatabase()`.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CachedScore, FileRecord, JobRecord, KeptCounts, NoteRecord, ResultRecord, StoredSessionRecord, TrajectoryRecord } from './data-records';
import { appendAll } from '../../core/arrays';

export const DATABASE_NAME = 'progress-advantage-session';
/** 2 added the `notes` store (a version-1 database is upgraded in place: its session is kept). */
export const DATABASE_VERSION = 2;

export interface SessionDbSchema extends DBSchema {
  /** One record, key `current`: settings, selection, list filters, tab, model choice. */
  session: { key: string; value: StoredSessionRecord };
  /** Finished files, by file id. */
  files: { key: number; value: FileRecord };
  /** Parsed trajectories, by trajectory key (`fileId:index`). */
  trajectories: { key: string; value: TrajectoryRecord };
  /** Which cache entry holds each trajectory's scores, by trajectory key. */
  results: { key: string; value: ResultRecord };
  /** Scores by (pair, dtype, render mode, content hash): outlives the files they were computed for. */
  scoreCache: { key: string; value: CachedScore };
  /** One record, key `current`, while a scoring job runs. */
  job: { key: string; value: JobRecord };
  /** Notes on spans, by note id (each names its trajectory by key). */
  notes: { key: string; value: NoteRecord };
}

export type SessionDatabase = IDBPDatabase<SessionDbSchema>;

export const SINGLE_RECORD_KEY = 'current';

export const STORE_NAMES = ['session', 'files', 'trajectories', 'results', 'scoreCache', 'job', 'notes'] as const;

/** How the page learns that its connection is gone: another tab or the browser deleted or upgraded the database, or the browser closed it after an I/O error. */
export interface ConnectionEvents {
  onClosed?(reason: string): void;
}

export function openSessionDatabase(events: ConnectionEvents = {}): Promise<SessionDatabase> {
  return openDB<SessionDbSchema>(DATABASE_NAME, DATABASE_VERSION, {
    upgrade(db, oldVersion) {
      // Each version adds its stores to what the one before left: an older session keeps its records.
      if (oldVersion < 1) {
        db.createObjectStore('session');
        db.createObjectStore('files', { keyPath: 'id' });
        db.createObjectStore('trajectories', { keyPath: 'key' });
        db.createObjectStore('results', { keyPath: 'key' });
        db.createObjectStore('scoreCache', { keyPath: 'cacheKey' });
        db.createObjectStore('job');
      }
      if (oldVersion < 2) db.createObjectStore('notes', { keyPath: 'id' });
    },
    blocking(_current, _blocked, event) {
      // Another tab upgrades or deletes the database: let it (this tab stops saving, and says so).
      (event.target as IDBDatabase).close();
      events.onClosed?.('the saved session was deleted or upgraded by another tab or by the browser');
    },
    terminated() {
      events.onClosed?.('the browser closed its storage unexpectedly (a disk error, or its data was cleared)');
    },
  });
}

/**
 * Reads back what the database holds, through a connection of its own (as the next visit would
 * open it): the files saved, their trajectories that are there, and how many of those have a score.
 */
export async function readBackKeptCounts(): Promise<KeptCounts> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DATABASE_NAME);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('the database did not open'));
    request.onblocked = () => reject(new Error('the database is blocked by another connection'));
  });
  try {
    const present = STORE_NAMES.filter((name) => db.objectStoreNames.contains(name));
    if (present.length < STORE_NAMES.length) return { files: 0, trajectories: 0, scores: 0 };
    const tx = db.transaction(['files', 'trajectories', 'results'], 'readonly');
    const read = <T>(request: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((request.onsuccess = () => resolve(request.result)), (request.onerror = () => reject(request.error))));
    const [files, trajectoryKeys, resultKeys] = await Promise.all([
      read(tx.objectStore('files').getAll() as IDBRequest<FileRecord[]>),
      read(tx.objectStore('trajectories').getAllKeys()),
      read(tx.objectStore('results').getAllKeys()),
    ]);
    const trajectories = new Set(trajectoryKeys as string[]);
    const scored = new Set(resultKeys as string[]);
    let kept = 0;
    let scores = 0;
    for (const file of files) {
      for (const key of file.trajectoryKeys) {
        if (!trajectories.has(key)) continue;
        kept++;
        if (scored.has(key)) scores++;
      }
    }
    return { files: files.length, trajectories: kept, scores };
  } finally {
    db.close();
  }
}

let current: SessionDatabase | null = null;

/** The page's connection, or null when storage is unavailable (or not opened yet). */
export function sessionDatabase(): SessionDatabase | null {
  return current;
}

export function setSessionDatabase(db: SessionDatabase | null): void {
  current = db;
}

/** A write refused for lack of space (the browser's quota for this site). */
export function isQuotaExceeded(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  // Firefox used NS_ERROR_DOM_QUOTA_REACHED before standardising on QuotaExceededError.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

type PagedStore = 'files' | 'trajectories' | 'results' | 'notes';

const primaryKeyOf: { [Name in PagedStore]: (value: SessionDbSchema[Name]['value']) => IDBValidKey } = {
  files: (f) => f.id,
  trajectories: (t) => t.key,
  results: (r) => r.key,
  notes: (n) => n.id,
};

/** Reads a whole store in pages, yielding between them so that a big session does not block the page. */
export async function readAllInPages<Name extends PagedStore>(db: SessionDatabase, store: Name, pageSize = 500): Promise<SessionDbSchema[Name]['value'][]> {
  const all: SessionDbSchema[Name]['value'][] = [];
  const keyOf = primaryKeyOf[store] as (value: SessionDbSchema[Name]['value']) => IDBValidKey;
  let after: IDBValidKey | undefined;
  for (;;) {
    const page = await db.getAll(store, after === undefined ? undefined : IDBKeyRange.lowerBound(after, true), pageSize);
    appendAll(all, page);
    if (page.length < pageSize) return all;
    after = keyOf(page[page.length - 1]);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
