/**
 * Write-through of the session to IndexedDB, off the hot path: changes are collected for a short
 * while (debounced) and written in small transactions between frames. Only what changed is
 * written: the stores replace objects instead of mutating them, so a trajectory, file or result
 * that is the same object as the one last saved needs no write.
 *
 * Order of a flush, so that a reload at any moment finds a consistent session:
 *   1. a new job record, and deletions (they also free space);
 *   2. new trajectories, a few milliseconds of work per transaction;
 *   3. files whose trajectories are all saved (a file is restored only with all of them);
 *   4. results with their score-cache entries;
 *   5. notes (added, changed and deleted in one transaction: they are small);
 *   6. the session record (settings, selection, file order), and the job record's deletion once
 *      the job's last results are saved. A session record therefore exists only after a first
 *      complete write: a reload before that starts a fresh session.
 * Every transaction either commits or leaves the database as it was: a quota error stops the
 * flush and loses nothing already saved. After any failure the writer reads back what the database
 * holds (a disk error can cost more than the write that failed) and reports that.
 */
import type { IDBPTransaction } from 'idb';
import type { LoadedFile, LoadedTrajectory } from '../store';
import type { ScoredTrajectory } from '../../core/scoring';
import type { ModelDtype } from '../../core/settings';
import type { RenderMode } from '../../core/render/types';
import { SINGLE_RECORD_KEY, isQuotaExceeded, readBackKeptCounts, type SessionDatabase, type SessionDbSchema } from './database';
import {
  changedKeys,
  fileRecordOf,
  resultRecordOf,
  sessionRecordOf,
  sessionRecordText,
  storedScoresOf,
  storedTrajectoryOf,
  type CachedScore, type JobRecord, type KeptCounts, type NoteRecord, type ResultRecord, type SaveFailure, type SessionSnapshot } from './records';
import { knownCacheKeys } from './score-cache';

/** The state a flush reads: gathered from the stores by the caller (keeps this module store-agnostic). */
export interface WriterSnapshot {
  session: SessionSnapshot;
  files: readonly LoadedFile[];
  trajectories: Readonly<Record<string, LoadedTrajectory>>;
  results: Readonly<Record<string, ScoredTrajectory>>;
  resultCacheKeys: Readonly<Record<string, string>>;
  pendingJob: JobRecord | null;
  /** Notes by id (absent: the caller keeps none, and saved notes are left alone). */
  notes?: Readonly<Record<string, NoteRecord>>;
}

export interface WriterOptions {
  snapshot(): WriterSnapshot;
  /** Called after a write failed (with what the database holds, read back), and with null once everything is saved after one. */
  onFailure(failure: SaveFailure | null): void;
  /** Quiet period before a write, and the longest a change waits under continuous changes. */
  debounceMs?: number;
  maxWaitMs?: number;
  /** Work per transaction before yielding to the page. */
  sliceMs?: number;
  /** Reads back what the database holds after a failure (tests give their own). */
  readBack?: () => Promise<KeptCounts>;
}

/** What is in the database now, as the objects that were written (compared by identity). */
export interface SavedBaseline {
  sessionText: string | null;
  files: Map<string, LoadedFile>;
  trajectories: Map<string, LoadedTrajectory>;
  results: Map<string, ScoredTrajectory>;
  notes: Map<string, NoteRecord>;
  job: JobRecord | null;
}

export function emptyBaseline(): SavedBaseline {
  return { sessionText: null, files: new Map(), trajectories: new Map(), results: new Map(), notes: new Map(), job: null };
}

type SlicedStore = 'trajectories' | 'results' | 'scoreCache';

/**
 * Every request is issued: commit without waiting for the event loop to notice. Faster, and a
 * write started as the page goes away (pagehide) gets its best chance to land.
 */
function commitNow(tx: { commit?(): void }): void {
  try {
    tx.commit?.();
  } catch {
    // Already committing or aborted: tx.done tells which.
  }
}

const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

function cacheEntryOf(cacheKey: string, result: ScoredTrajectory, savedAt: number): CachedScore {
  const [pairKey, dtype, render, contentHash] = cacheKey.split('|');
  return { cacheKey, pairKey, dtype: dtype as ModelDtype, render: render as RenderMode, contentHash, result: storedScoresOf(result), savedAt };
}

export class SessionWriter {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstChangeAt: number | null = null;
  private flushing: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failureShown = false;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly sliceMs: number;

  constructor(
    private readonly db: SessionDatabase,
    private readonly options: WriterOptions,
    readonly saved: SavedBaseline = emptyBaseline(),
  ) {
    this.debounceMs = options.debounceMs ?? 400;
    this.maxWaitMs = options.maxWaitMs ?? 2000;
    this.sliceMs = options.sliceMs ?? 8;
  }

  /** Something changed: write soon (after a quiet period, or at most `maxWaitMs` after the first change). */
  schedule(delayMs = this.debounceMs): void {
    if (this.stopped) return;
    const now = Date.now();
    this.firstChangeAt ??= now;
    const wait = Math.max(0, Math.min(delayMs, this.firstChangeAt + this.maxWaitMs - now));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  /** Writes everything that changed; resolves when the database holds the state of the call (or a write failed). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.firstChangeAt = null;
    if (this.stopped) return;
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.again = false;
          await this.writeChanges();
        } while (this.again && !this.stopped);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** Stops writing (clear session, storage gone); waits for a write in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flushing?.catch(() => undefined);
  }

  private async writeChanges(): Promise<void> {
    const snap = this.options.snapshot();
    const now = Date.now();
    try {
      await this.writeNewJobAndDeletions(snap);
      await this.writeTrajectories(snap);
      await this.writeFiles(snap);
      await this.writeResults(snap, now);
      await this.writeNotes(snap);
      await this.writeSessionRecord(snap, now, true);
      // Everything is saved again: a failure notice of ours is out of date.
      if (this.failureShown) this.report(null);
    } catch (error) {
      const reason = error instanceof Error ? error.message || error.name : String(error);
      if (isQuotaExceeded(error)) {
        // The settings and selection are small: keep them if they still fit. The job record stays (its results may be missing).
        await this.writeSessionRecord(snap, now, false).catch(() => undefined);
        this.report({ kind: 'quota', reason, kept: await this.readBack() });
        return;
      }
      // Anything else (a disk error, the connection closed): the browser may have lost more than this write.
      this.stopped = true;
      this.report({ kind: 'failed', reason, kept: await this.readBack() });
    }
  }

  /** A failure the page learns of outside a write (the connection closed): saving stops, and the notice says what is left. */
  async fail(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.report({ kind: 'failed', reason, kept: await this.readBack() });
  }

  private report(failure: SaveFailure | null): void {
    this.failureShown = failure !== null;
    this.options.onFailure(failure);
  }

  /** What the next visit would find, read back from the database (never assumed from what was written). */
  private async readBack(): Promise<SaveFailure['kept']> {
    try {
      return await (this.options.readBack ?? readBackKeptCounts)();
    } catch (error) {
      return { unreadable: error instanceof Error ? error.message || error.name : String(error) };
    }
  }

  private async writeNewJobAndDeletions(snap: WriterSnapshot): Promise<void> {
    const currentFileIds = new Set(snap.files.map((f) => String(f.id)));
    const removedFiles = [...this.saved.files.keys()].filter((id) => !currentFileIds.has(id));
    const removedTrajectories = [...this.saved.trajectories.keys()].filter((k) => !(k in snap.trajectories));
    const removedResults = [...this.saved.results.keys()].filter((k) => !(k in snap.results) || !(k in snap.trajectories));
    const newJob = snap.pendingJob !== null && snap.pendingJob !== this.saved.job;
    if (!newJob && removedFiles.length + removedTrajectories.length + removedResults.length === 0) return;
    const tx = this.db.transaction(['job', 'files', 'trajectories', 'results'], 'readwrite');
    const quiet = (p: Promise<unknown>) => void p.catch(() => undefined); // the outcome is tx.done's
    if (newJob) quiet(tx.objectStore('job').put(snap.pendingJob!, SINGLE_RECORD_KEY));
    // One transaction: a reload never finds a file whose trajectories are gone.
    for (const id of removedFiles) quiet(tx.objectStore('files').delete(Number(id)));
    for (const key of removedTrajectories) quiet(tx.objectStore('trajectories').delete(key));
    for (const key of removedResults) quiet(tx.objectStore('results').delete(key));
    commitNow(tx);
    await tx.done;
    if (newJob) this.saved.job = snap.pendingJob;
    for (const id of removedFiles) this.saved.files.delete(id);
    for (const key of removedTrajectories) this.saved.trajectories.delete(key);
    for (const key of removedResults) this.saved.results.delete(key);
  }

  private async writeSessionRecord(snap: WriterSnapshot, now: number, endFinishedJob: boolean): Promise<void> {
    const record = sessionRecordOf(snap.session, now);
    const text = sessionRecordText(record);
    const endJob = endFinishedJob && snap.pendingJob === null && this.saved.job !== null;
    if (text === this.saved.sessionText && !endJob) return;
    const tx = this.db.transaction(['session', 'job'], 'readwrite');
    if (text !== this.saved.sessionText) void tx.objectStore('session').put(record, SINGLE_RECORD_KEY).catch(() => undefined);
    if (endJob) void tx.objectStore('job').delete(SINGLE_RECORD_KEY).catch(() => undefined);
    commitNow(tx);
    await tx.done;
    this.saved.sessionText = text;
    if (endJob) this.saved.job = null;
  }

  /** Puts records a slice at a time; each slice is one transaction, committed before the next starts. */
  private async putInSlices(
    keys: readonly string[],
    stores: SlicedStore[],
    put: (tx: IDBPTransaction<SessionDbSchema, SlicedStore[], 'readwrite'>, key: string) => void,
    committed: (keys: readonly string[]) => void,
  ): Promise<void> {
    let at = 0;
    while (at < keys.length) {
      if (this.stopped) return;
      const tx = this.db.transaction(stores, 'readwrite');
      const started = performance.now();
      const slice: string[] = [];
      // At least one record per transaction, then as many as fit in the time budget (put() clones synchronously).
      do {
        put(tx, keys[at]);
        slice.push(keys[at]);
        at++;
      } while (at < keys.length && performance.now() - started < this.sliceMs);
      commitNow(tx);
    await tx.done;
      committed(slice);
      await yieldToPage();
    }
  }

  private async writeTrajectories(snap: WriterSnapshot): Promise<void> {
    const { changed } = changedKeys(this.saved.trajectories, snap.trajectories);
    await this.putInSlices(
      changed,
      ['trajectories'],
      (tx, key) => void tx.objectStore('trajectories').put(storedTrajectoryOf(snap.trajectories[key])).catch(() => undefined),
      (keys) => keys.forEach((k) => this.saved.trajectories.set(k, snap.trajectories[k])),
    );
  }

  private async writeFiles(snap: WriterSnapshot): Promise<void> {
    const ready = snap.files.filter((file) => {
      if (file.status === 'parsing' || this.saved.files.get(String(file.id)) === file) return false;
      return file.trajectoryKeys.every((k) => this.saved.trajectories.get(k) === snap.trajectories[k]);
    });
    if (ready.length === 0) return;
    const tx = this.db.transaction('files', 'readwrite');
    for (const file of ready) void tx.store.put(fileRecordOf(file)!).catch(() => undefined);
    commitNow(tx);
    await tx.done;
    for (const file of ready) this.saved.files.set(String(file.id), file);
  }

  /** Notes whose trajectory is saved (a note on a trajectory not saved yet waits for it), and the deletion of removed ones. */
  private async writeNotes(snap: WriterSnapshot): Promise<void> {
    if (!snap.notes) return;
    const notes = snap.notes;
    const { changed, removed } = changedKeys(this.saved.notes, notes);
    const ready = changed.filter((id) => {
      const trajectory = snap.trajectories[notes[id].key];
      return trajectory !== undefined && this.saved.trajectories.get(notes[id].key) === trajectory;
    });
    if (ready.length + removed.length === 0) return;
    const tx = this.db.transaction('notes', 'readwrite');
    for (const id of ready) void tx.store.put(notes[id]).catch(() => undefined);
    for (const id of removed) void tx.store.delete(id).catch(() => undefined);
    commitNow(tx);
    await tx.done;
    for (const id of ready) this.saved.notes.set(id, notes[id]);
    for (const id of removed) this.saved.notes.delete(id);
  }

  private async writeResults(snap: WriterSnapshot, now: number): Promise<void> {
    const records = new Map<string, ResultRecord>();
    for (const key in snap.results) {
      if (!(key in snap.trajectories) || this.saved.results.get(key) === snap.results[key]) continue;
      const record = resultRecordOf(key, snap.results[key], snap.resultCacheKeys[key], snap.trajectories[key]);
      if (record) records.set(key, record);
    }
    await this.putInSlices(
      [...records.keys()],
      ['results', 'scoreCache'],
      (tx, key) => {
        const record = records.get(key)!;
        void tx.objectStore('results').put(record).catch(() => undefined);
        if ('cacheKey' in record && !knownCacheKeys.has(record.cacheKey)) void tx.objectStore('scoreCache').put(cacheEntryOf(record.cacheKey, snap.results[key], now)).catch(() => undefined);
      },
      (keys) =>
        keys.forEach((k) => {
          this.saved.results.set(k, snap.results[k]);
          const record = records.get(k)!;
          if ('cacheKey' in record) knownCacheKeys.add(record.cacheKey);
        }),
    );
  }
}
