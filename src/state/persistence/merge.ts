/**
 * A tab that takes the session over from another tab brings what it did meanwhile: the files it
 * opened (and their scores) join the saved session, which the other tab kept up to date. Files the
 * saved session already has (the same name, size and trajectory count: the same file opened in both
 * tabs) are not added twice; their scores fill in the ones it lacks. A file the tab had read from
 * storage and the saved session no longer has was closed (or cleared) by the other tab: it stays
 * closed. Settings and the selection are the saved session's. The tab's notes join the saved ones
 * (by id: a note both have is kept once), moved to the keys their trajectories get.
 */
import type { ScoredTrajectory } from '../../core/scoring';
import type { LoadedFile, LoadedTrajectory } from '../store';
import type { NoteRecord, RestoredSession } from './records';

/** What a tab holds, as the stores have it. */
export interface TabData {
  files: readonly LoadedFile[];
  trajectories: Readonly<Record<string, LoadedTrajectory>>;
  results: Readonly<Record<string, ScoredTrajectory>>;
  resultCacheKeys: Readonly<Record<string, string>>;
  notes?: Readonly<Record<string, NoteRecord>>;
}

export interface MergedSession {
  session: RestoredSession;
  /** Files of the tab added to the saved session. */
  addedFiles: number;
  /** Scores of the tab added to the saved session (for its files or the ones both had). */
  addedScores: number;
  /** Notes of the tab added to the saved session. */
  addedNotes: number;
}

const sameFile = (a: LoadedFile, b: LoadedFile) => a.name === b.name && a.size === b.size && a.trajectoryKeys.length === b.trajectoryKeys.length;

/**
 * The saved session with the tab's own data added (a file still being read stays out: it has not
 * finished). `restoredFileIds`: the tab's files that it read from storage.
 */
export function mergeTabIntoSaved(saved: RestoredSession, tab: TabData, restoredFileIds: ReadonlySet<number>): MergedSession {
  const files = saved.files.slice();
  const trajectories = { ...saved.trajectories };
  const results = { ...saved.results };
  const resultCacheKeys = { ...saved.resultCacheKeys };
  let nextId = files.reduce((max, f) => Math.max(max, f.id + 1), 1);
  for (const f of tab.files) nextId = Math.max(nextId, f.id + 1);
  let addedFiles = 0;
  let addedScores = 0;
  /** Where each of the tab's trajectory keys is in the merged session. */
  const movedKey = new Map<string, string>();
  const addScore = (from: string, to: string) => {
    const result = tab.results[from];
    if (!result || results[to]) return;
    results[to] = from === to ? result : { ...result, key: to };
    if (tab.resultCacheKeys[from] !== undefined) resultCacheKeys[to] = tab.resultCacheKeys[from];
    addedScores++;
  };
  for (const file of tab.files) {
    if (file.status === 'parsing') continue;
    const twin = saved.files.find((s) => sameFile(s, file));
    if (twin) {
      file.trajectoryKeys.forEach((key, index) => {
        addScore(key, twin.trajectoryKeys[index]);
        movedKey.set(key, twin.trajectoryKeys[index]);
      });
      continue;
    }
    if (restoredFileIds.has(file.id)) continue;
    // A new id (trajectory keys contain it): the saved session may use this tab's ids for other files.
    const id = nextId++;
    const keys = file.trajectoryKeys.map((key, index) => {
      const newKey = `${id}:${index}`;
      trajectories[newKey] = { ...tab.trajectories[key], key: newKey, fileId: id };
      addScore(key, newKey);
      movedKey.set(key, newKey);
      return newKey;
    });
    files.push({ ...file, id, trajectoryKeys: keys });
    addedFiles++;
  }
  const notes = { ...saved.notes };
  let addedNotes = 0;
  for (const note of Object.values(tab.notes ?? {})) {
    const key = movedKey.get(note.key);
    if (key === undefined || note.id in notes) continue;
    notes[note.id] = key === note.key ? note : { ...note, key };
    addedNotes++;
  }
  return { session: { ...saved, files, trajectories, results, resultCacheKeys, notes }, addedFiles, addedScores, addedNotes };
}
