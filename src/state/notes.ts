/**
 * The session's notes on spans (src/core/notes): one record each, by id, tied to a loaded
 * trajectory by its key. Saved to IndexedDB record by record (state/persistence: the `notes`
 * store), carried by bundles, reports and snippet links, exported and imported as JSON Lines.
 * Objects are replaced, never mutated: the session writer finds what changed by identity.
 */
import { useMemo } from 'react';
import { create } from 'zustand';
import { z } from 'zod';
import { NOTE_SAYS_SOMETHING, compareNotes, noteBodySchema, noteBodyShape, notePlacementProblem, normaliseTags, notesToJsonLines, parseNotesJsonLines, type ExportedNote, type NoteBody } from '../core/notes';
import { useAppStore, type LoadedTrajectory } from './store';
import { useScoringStore } from './scoring';

/** A note as the session keeps it. */
export const sessionNoteSchema = z.strictObject({ id: z.string().min(1), key: z.string().min(1), ...noteBodyShape }).refine(...NOTE_SAYS_SOMETHING);
export type SessionNote = NoteBody & { id: string; key: string };

export interface NotesState {
  notes: Record<string, SessionNote>;
}

export const useNotesStore = create<NotesState>()(() => ({ notes: {} }));

let counter = 0;
/** Unique within the session and across tabs (a take-over merges both tabs' notes by id). */
export function newNoteId(): string {
  const random = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `${random}-${(counter++).toString(36)}`;
}

/** What the editor gives: text and tags as typed, the span chosen. */
export interface NoteDraft {
  message: number;
  tokens: { start: number; end: number } | null;
  text: string;
  tags: readonly string[];
}

/** The note checked as the bundle and the import check it; throws with the reason when it is not a valid note. */
function checkedBody(draft: NoteDraft, created: string): NoteBody {
  const parsed = noteBodySchema.safeParse({ message: draft.message, tokens: draft.tokens, text: draft.text, tags: normaliseTags(draft.tags), created });
  if (!parsed.success) throw new Error(parsed.error.issues[0].message);
  return parsed.data;
}

/** Adds a note on a loaded trajectory's step or token range; returns its id. Throws when the draft is not a valid note. */
export function addNote(key: string, draft: NoteDraft, now = new Date()): string {
  const body = checkedBody(draft, now.toISOString());
  const id = newNoteId();
  useNotesStore.setState((s) => ({ notes: { ...s.notes, [id]: { ...body, id, key } } }));
  return id;
}

/** Changes a note's text and tags (its span and time stay). */
export function updateNote(id: string, patch: Pick<NoteDraft, 'text' | 'tags'>): void {
  const note = useNotesStore.getState().notes[id];
  if (!note) return;
  const body = checkedBody({ message: note.message, tokens: note.tokens, text: patch.text, tags: patch.tags }, note.created);
  useNotesStore.setState((s) => ({ notes: { ...s.notes, [id]: { ...body, id, key: note.key } } }));
}

export function deleteNote(id: string): void {
  useNotesStore.setState((s) => {
    if (!(id in s.notes)) return s;
    const notes = { ...s.notes };
    delete notes[id];
    return { notes };
  });
}

/** Adds notes with their keys as given (bundles, a take-over); notes whose trajectory is not loaded are skipped. */
export function addNotes(added: readonly SessionNote[]): void {
  if (added.length === 0) return;
  useNotesStore.setState((s) => {
    const notes = { ...s.notes };
    for (const note of added) notes[note.id] = note;
    return { notes };
  });
}

/** Notes by trajectory key, each list in reading order. Pure. */
export function notesByKey(notes: Readonly<Record<string, SessionNote>>): Map<string, SessionNote[]> {
  const byKey = new Map<string, SessionNote[]>();
  for (const note of Object.values(notes)) {
    const list = byKey.get(note.key);
    if (list) list.push(note);
    else byKey.set(note.key, [note]);
  }
  for (const list of byKey.values()) list.sort(compareNotes);
  return byKey;
}

/** Per trajectory key, each of its notes' tags (what the list's notes filter reads). Pure. */
export function noteTagsByKey(notes: Readonly<Record<string, SessionNote>>): Map<string, string[][]> {
  const byKey = new Map<string, string[][]>();
  for (const note of Object.values(notes)) {
    const list = byKey.get(note.key);
    if (list) list.push(note.tags);
    else byKey.set(note.key, [note.tags]);
  }
  return byKey;
}

const NO_NOTES: readonly SessionNote[] = [];

/** The notes of every trajectory, by key (memoised on the store's notes). */
export function useNotesByKey(): Map<string, SessionNote[]> {
  const notes = useNotesStore((s) => s.notes);
  return useMemo(() => notesByKey(notes), [notes]);
}

/** One trajectory's notes in reading order. */
export function useTrajectoryNotes(key: string): readonly SessionNote[] {
  return useNotesByKey().get(key) ?? NO_NOTES;
}

/** Every tag in use, presets first as the editor shows them, then the others alphabetically. */
export function tagsInUse(notes: Readonly<Record<string, SessionNote>>): string[] {
  const tags = new Set<string>();
  for (const note of Object.values(notes)) for (const tag of note.tags) tags.add(tag);
  return [...tags].sort((a, b) => a.localeCompare(b));
}

/** The notes of the given trajectories (in that order, each in reading order) as exported lines. */
export function exportedNotesOf(keys: readonly string[]): ExportedNote[] {
  const { trajectories } = useAppStore.getState();
  const byKey = notesByKey(useNotesStore.getState().notes);
  const out: ExportedNote[] = [];
  for (const key of keys) {
    const entry = trajectories[key];
    if (!entry) continue;
    for (const n of byKey.get(key) ?? []) out.push({ trajectory: entry.trajectory.id, file: entry.fileName, message: n.message, tokens: n.tokens, text: n.text, tags: n.tags, created: n.created });
  }
  return out;
}

/** The JSON Lines export of the given trajectories' notes. */
export function notesJsonLinesOf(keys: readonly string[]): string {
  return notesToJsonLines(exportedNotesOf(keys));
}

/** Scored tokens per step of a trajectory's result, when scored: where a token range may end. */
function tokenCountsOf(key: string): Map<number, number> | undefined {
  const result = useScoringStore.getState().results[key];
  if (!result || result.stepLevelOnly) return undefined;
  return new Map(result.record.steps.map((step) => [step.message, step.policy.length] as const));
}

export interface NotesImport {
  added: number;
  /** Already in the session (same trajectory, span, text, tags and time): not added twice. */
  duplicates: number;
  errors: string[];
}

/**
 * Imports a notes export: each good line becomes a note on the loaded trajectory with that id (and
 * file name, when the line names one and such a file is loaded). Lines that name no loaded
 * trajectory, or a span it does not have, are reported with their line; the others are added.
 */
export function importNotesJsonLines(text: string, fileName: string): NotesImport {
  const reading = parseNotesJsonLines(text, fileName);
  const errors = reading.errors.slice();
  const { trajectories, trajectoryOrder } = useAppStore.getState();
  const existing = Object.values(useNotesStore.getState().notes);
  const sameNote = (a: SessionNote, key: string, n: ExportedNote) =>
    a.key === key && a.message === n.message && a.text === n.text && a.created === n.created && JSON.stringify(a.tokens) === JSON.stringify(n.tokens) && a.tags.join('\u0000') === n.tags.join('\u0000');
  const added: SessionNote[] = [];
  let duplicates = 0;
  for (const { line, note } of reading.notes) {
    const candidates = trajectoryOrder.map((k) => trajectories[k]).filter((t): t is LoadedTrajectory => t !== undefined && t.trajectory.id === note.trajectory);
    const named = note.file === undefined ? candidates : candidates.filter((t) => t.fileName === note.file);
    const entry = (named.length > 0 ? named : candidates)[0];
    if (!entry) {
      errors.push(`${fileName}: line ${line}: no loaded trajectory has the id ${JSON.stringify(note.trajectory)}${note.file !== undefined ? ` (file ${JSON.stringify(note.file)})` : ''}`);
      continue;
    }
    const t = entry.trajectory;
    const problem = notePlacementProblem(note, { messages: t.messages.length, actionSteps: t.actionSteps, tokenCounts: tokenCountsOf(entry.key) });
    if (problem) {
      errors.push(`${fileName}: line ${line}: ${problem}`);
      continue;
    }
    if (existing.some((a) => sameNote(a, entry.key, note)) || added.some((a) => sameNote(a, entry.key, note))) {
      duplicates++;
      continue;
    }
    added.push({ id: newNoteId(), key: entry.key, message: note.message, tokens: note.tokens, text: note.text, tags: note.tags, created: note.created });
  }
  addNotes(added);
  return { added: added.length, duplicates, errors };
}

/** Notes of trajectories no longer loaded go with them (a file closed), as their scores do. */
function dropNotesOfUnloaded(trajectories: Readonly<Record<string, LoadedTrajectory>>): void {
  const { notes } = useNotesStore.getState();
  let gone = false;
  for (const id in notes) if (!(notes[id].key in trajectories)) gone = true;
  if (gone) useNotesStore.setState({ notes: Object.fromEntries(Object.entries(notes).filter(([, n]) => n.key in trajectories)) });
}

useAppStore.subscribe((s, prev) => {
  if (s.trajectories !== prev.trajectories) dropNotesOfUnloaded(s.trajectories);
});
