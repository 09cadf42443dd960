/**
 * The session's life: at startup the saved session is read back and put in the stores (no file
 * is parsed again, nothing is scored again), the URL's view link is applied, and from then on
 * every change is written through (writer.ts). "Clear session" empties the database and the state.
 *
 * One tab keeps the session (ownership.ts): a second tab on the same profile shows the saved
 * session, saves nothing and says so; taking over asks the first tab to save and let go, then
 * reads the session again and adds what this tab opened meanwhile (merge.ts). No tab overwrites
 * another's files, and "Clear session" is the keeping tab's alone.
 */
import { useAppStore } from '../store';
import { DEFAULT_ANALYSIS_SETTINGS, useAnalysisStore, useLinkedViewStore } from '../analysis';
import { DEFAULT_LIST_FILTERS, useListStore } from '../list-view';
import { INITIAL_SCORING_STATE, cancelScoring, reloadRestoredPair, supersedeAutoDemo, useScoringStore } from '../scoring';
import { startFirstVisitDemo } from '../first-visit';
import { adoptPrecomputedScores, holdFileOpeningUntil, loadExamples, openedExampleNames } from '../load-files';
import { startViewLinkSync, clearViewLink } from '../permalink';
import { useNotesStore } from '../notes';
import { STORE_NAMES, openSessionDatabase, sessionDatabase, setSessionDatabase, type SessionDatabase } from './database';
import { readStoredSession } from './reader';
import { knownCacheKeys } from './score-cache';
import { restoreStores, restoredSessionOf, sessionRecordOf, sessionRecordText, snapshotOfStores, watchPersistedStores, type RestoredSession } from './records';
import { SessionWriter, emptyBaseline, type SavedBaseline, type WriterSnapshot } from './writer';
import { usePersistenceStatus } from './status';
import { SessionOwnership } from './ownership';
import { mergeTabIntoSaved } from './merge';

let writer: SessionWriter | null = null;
let ownership: SessionOwnership | null = null;
/** The files this tab read from storage (a take-over does not bring back one that the keeping tab closed). */
let restoredFileIds = new Set<number>();
let unsubscribers: (() => void)[] = [];
let started: Promise<void> | null = null;
let pageHideListening = false;

function snapshot(): WriterSnapshot {
  const app = useAppStore.getState();
  const scoring = useScoringStore.getState();
  return {
    // What the stores declare (see state/persisted.ts), read from each.
    session: snapshotOfStores(app.files),
    files: app.files,
    trajectories: app.trajectories,
    results: scoring.results,
    resultCacheKeys: scoring.resultCacheKeys,
    pendingJob: scoring.pendingJob,
    notes: useNotesStore.getState().notes,
  };
}

/**
 * Puts a restored session in the stores; returns the baseline the writer compares with. `withJob`:
 * an interrupted job is offered (not in a tab that does not keep the session: the keeping tab runs it).
 */
function applyRestored(restored: RestoredSession, withJob = true): SavedBaseline {
  const { session } = restored;
  restoredFileIds = new Set(restored.files.map((f) => f.id));
  // The files first, with the first trajectory selected: the saved selection (if any) is restored with the other settings.
  useAppStore.getState().restoreFiles({ files: restored.files, trajectories: restored.trajectories, selectedKey: restored.files[0]?.trajectoryKeys[0] ?? null, activeTab: 'trajectory' });
  useScoringStore.setState({ results: restored.results, resultCacheKeys: restored.resultCacheKeys, pendingJob: withJob ? restored.job : null });
  useNotesStore.setState({ notes: restored.notes });
  for (const cacheKey of Object.values(restored.resultCacheKeys)) knownCacheKeys.add(cacheKey);
  if (session) {
    const fileIds = new Set(restored.files.map((f) => f.id));
    restoreStores(session, { hasTrajectory: (key) => key in restored.trajectories, hasFile: (id) => fileIds.has(id) });
  }
  // Score files carry their figures; they are read from the restored trajectories, not stored twice.
  for (const file of restored.files) adoptPrecomputedScores(file.id);
  return baselineOf(restored);
}

/** What the database holds, as the objects the stores hold (the writer compares by identity). */
function baselineOf(saved: RestoredSession): SavedBaseline {
  const baseline = emptyBaseline();
  for (const file of saved.files) baseline.files.set(String(file.id), file);
  for (const [key, t] of Object.entries(saved.trajectories)) baseline.trajectories.set(key, t);
  for (const [key, r] of Object.entries(saved.results)) baseline.results.set(key, r);
  for (const [id, n] of Object.entries(saved.notes)) baseline.notes.set(id, n);
  baseline.job = saved.job;
  baseline.sessionText = saved.session ? sessionRecordText(sessionRecordOf(snapshot().session, 0)) : null;
  return baseline;
}

/** Deletes saved records nothing refers to any more (a file closed or half-read before a reload). */
async function deleteLeftovers(db: SessionDatabase, restored: RestoredSession): Promise<void> {
  if (restored.orphanTrajectoryKeys.length + restored.staleResultKeys.length + restored.staleNoteIds.length === 0) return;
  const tx = db.transaction(['trajectories', 'results', 'notes'], 'readwrite');
  for (const key of restored.orphanTrajectoryKeys) void tx.objectStore('trajectories').delete(key).catch(() => undefined);
  for (const key of restored.staleResultKeys) void tx.objectStore('results').delete(key).catch(() => undefined);
  for (const id of restored.staleNoteIds) void tx.objectStore('notes').delete(id).catch(() => undefined);
  await tx.done;
}

function startWriting(db: SessionDatabase, baseline: SavedBaseline): void {
  const w = new SessionWriter(db, { snapshot, onFailure: (saveFailure) => usePersistenceStatus.setState({ saveFailure }) }, baseline);
  writer = w;
  const schedule = () => w.schedule();
  unsubscribers = [
    // The session record: whatever the stores declare they persist. Subscribed first: a store's
    // listeners run in order, so the job's immediate write below is the last word on the timer.
    ...watchPersistedStores(schedule),
    // The data: files and trajectories, scores, the running job.
    useAppStore.subscribe((s, prev) => {
      if (s.files !== prev.files || s.trajectories !== prev.trajectories) schedule();
    }),
    useScoringStore.subscribe((s, prev) => {
      // A job record is written at once: a reload right after "Score all" must find it.
      if (s.pendingJob !== prev.pendingJob) return w.schedule(0);
      if (s.results !== prev.results) schedule();
    }),
    useNotesStore.subscribe((s, prev) => {
      if (s.notes !== prev.notes) schedule();
    }),
  ];
  if (!pageHideListening) {
    // A last attempt when the tab goes away (it may or may not finish before the page is gone).
    addEventListener('pagehide', () => void writer?.flush());
    pageHideListening = true;
  }
}

/**
 * Restores the saved session (or opens the examples in a fresh one), applies the URL's view
 * link, and starts saving. Runs once per page (React's StrictMode calls effects twice).
 */
export function startSession(): Promise<void> {
  started ??= (async () => {
    let restoreDone!: () => void;
    holdFileOpeningUntil(new Promise<void>((resolve) => (restoreDone = resolve)));
    let db: SessionDatabase;
    try {
      // A connection closed under the page (another tab deleted the database, a disk error): saving stops, and the page says what is left.
      db = await openSessionDatabase({ onClosed: (reason) => void writer?.fail(reason) });
    } catch (error) {
      usePersistenceStatus.setState({
        phase: 'unavailable',
        storageNotice: `This session will not be kept: browser storage (IndexedDB) is unavailable (${error instanceof Error ? error.message : String(error)}).`,
      });
      restoreDone();
      startViewLinkSync();
      await loadExamples();
      void startFirstVisitDemo(openedExampleNames());
      return;
    }
    setSessionDatabase(db);
    ownership = new SessionOwnership({ onReleaseRequested: handOver, onTakenAway: () => void letGo('took-it') });
    const owner = await ownership.acquireIfFree();
    let baseline = emptyBaseline();
    let restored = false;
    try {
      const { stored, invalidSession } = await readStoredSession(db);
      if (stored.session || stored.files.length > 0) {
        const session = restoredSessionOf(stored);
        baseline = applyRestored(session, owner);
        restored = true;
        if (owner) void deleteLeftovers(db, session).catch(() => undefined);
      }
      if (invalidSession) usePersistenceStatus.setState({ storageNotice: `The saved settings could not be read (${invalidSession}); defaults are used.` });
    } catch (error) {
      usePersistenceStatus.setState({ storageNotice: `The saved session could not be read (${error instanceof Error ? error.message : String(error)}); starting a new one.` });
    }
    restoreDone();
    // The link is applied after the restore: it names the view to show over the saved session.
    startViewLinkSync();
    // A fresh session starts with the examples, saved together once they are all read.
    if (!restored) await loadExamples();
    if (owner) {
      startWriting(db, baseline);
      // The first write: a fresh session's examples, or what the link changed before saving started.
      writer?.schedule(0);
      usePersistenceStatus.setState({ phase: 'saving', restored });
    } else {
      usePersistenceStatus.setState({ phase: 'another-tab', otherTab: 'had-it', restored });
    }
    // A fresh session shows the demo by itself (loads the pair, scores the examples); a restored one
    // loads the pair it had loaded, where the page can alone (demo, hub).
    if (restored) void reloadRestoredPair();
    else void startFirstVisitDemo(openedExampleNames());
  })();
  return started;
}

function stopWriting(): SessionWriter | null {
  for (const unsubscribe of unsubscribers) unsubscribe();
  unsubscribers = [];
  const w = writer;
  writer = null;
  return w;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Another tab asked for the session: save what is unsaved, stop writing, stop this tab's job (its record stays: the other tab resumes it). */
async function handOver(): Promise<void> {
  // The writer stays in place while it saves: if the lock is taken meanwhile (this tab was too slow), letGo stops it mid-flush.
  await writer?.flush();
  await letGo('took-it');
}

/** This tab no longer keeps the session. */
async function letGo(why: 'had-it' | 'took-it'): Promise<void> {
  await stopWriting()?.stop();
  usePersistenceStatus.setState({ phase: 'another-tab', otherTab: why, saveFailure: null, takeOverNotice: null });
  supersedeAutoDemo();
  await cancelScoring();
}

/**
 * Takes the session from the tab that keeps it: that tab saves and lets go; the session is read
 * again and what this tab opened meanwhile is added to it (files, and scores it computed); from then
 * on this tab saves. A job of this tab stops first (its scores so far are kept).
 */
export async function takeOverSession(): Promise<void> {
  const db = sessionDatabase();
  if (!ownership || ownership.isOwner || !db) return;
  usePersistenceStatus.setState({ phase: 'taking-over' });
  supersedeAutoDemo();
  await cancelScoring();
  try {
    await ownership.takeOver();
    const { stored } = await readStoredSession(db);
    const saved = restoredSessionOf(stored);
    const app = useAppStore.getState();
    const scoring = useScoringStore.getState();
    const merged = mergeTabIntoSaved(
      saved,
      { files: app.files, trajectories: app.trajectories, results: scoring.results, resultCacheKeys: scoring.resultCacheKeys, notes: useNotesStore.getState().notes },
      restoredFileIds,
    );
    applyRestored(merged.session);
    // The writer saves what is not in the database: this tab's additions.
    startWriting(db, baselineOf(saved));
    writer?.schedule(0);
    void deleteLeftovers(db, saved).catch(() => undefined);
    const added =
      merged.addedFiles + merged.addedScores + merged.addedNotes === 0
        ? ''
        : ` Added from this tab: ${plural(merged.addedFiles, 'file')}, ${plural(merged.addedScores, 'score')}${merged.addedNotes > 0 ? `, ${plural(merged.addedNotes, 'note')}` : ''}.`;
    usePersistenceStatus.setState({
      phase: 'saving',
      otherTab: null,
      restored: true,
      takeOverNotice: `This tab keeps the session now: it shows the session as the other tab saved it (${plural(saved.files.length, 'file')}).${added}`,
    });
  } catch (error) {
    usePersistenceStatus.setState({ phase: 'another-tab', storageNotice: `The session could not be taken over: ${error instanceof Error ? error.message : String(error)}.` });
  }
}

/** Saves what changed now (before the page reloads itself: a new server origin, state/server-origins.ts). */
export async function saveSessionNow(): Promise<void> {
  await writer?.flush();
}

/** Empties the database and the state: no files, no scores, default settings; the next visit starts fresh. Only the tab that keeps the session may. */
export async function clearSession(): Promise<void> {
  await startSession();
  if (ownership && !ownership.isOwner) throw new Error('another tab keeps this session: take it over to clear it');
  supersedeAutoDemo();
  await cancelScoring();
  await stopWriting()?.stop();
  const db = sessionDatabase();
  if (db) {
    const tx = db.transaction([...STORE_NAMES], 'readwrite');
    for (const name of STORE_NAMES) void tx.objectStore(name).clear().catch(() => undefined);
    await tx.done;
  }
  knownCacheKeys.clear();
  // The model panel stays as it is (a loaded pair lives in the worker, not in the session); scores and jobs go.
  useScoringStore.setState({
    job: INITIAL_SCORING_STATE.job,
    results: INITIAL_SCORING_STATE.results,
    resultCacheKeys: INITIAL_SCORING_STATE.resultCacheKeys,
    resultsPairKey: INITIAL_SCORING_STATE.resultsPairKey,
    pendingJob: INITIAL_SCORING_STATE.pendingJob,
    rememberedFolders: INITIAL_SCORING_STATE.rememberedFolders,
  });
  useAppStore.getState().resetFiles();
  useNotesStore.setState({ notes: {} });
  useAnalysisStore.setState(DEFAULT_ANALYSIS_SETTINGS, true);
  useListStore.setState(DEFAULT_LIST_FILTERS, true);
  useLinkedViewStore.setState({ hovered: null, selected: null, tokenRange: null, overlay: [] });
  clearViewLink();
  usePersistenceStatus.setState({ storageNotice: null, saveFailure: null, takeOverNotice: null, restored: false });
  restoredFileIds = new Set();
  if (db) {
    // Nothing is written until something changes: an untouched cleared session reloads as a fresh one.
    const baseline = emptyBaseline();
    startWriting(db, baseline);
    baseline.sessionText = sessionRecordText(sessionRecordOf(snapshot().session, 0));
  }
}
