/** The notes store: add, edit, delete; JSON Lines out and back in, with each line it cannot use named; notes go with a closed file. */
import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../../src/state/store';
import { useScoringStore } from '../../../src/state/scoring';
import { addNote, deleteNote, exportedNotesOf, importNotesJsonLines, notesJsonLinesOf, updateNote, useNotesStore } from '../../../src/state/notes';
import { visibleKeys, DEFAULT_LIST_FILTERS } from '../../../src/state/list-view';
import { noteTagsByKey } from '../../../src/state/notes';
import { trajectory } from './persistence/fixtures';
import { scored } from './persistence/fixtures';

let fileId: number;
beforeEach(() => {
  useAppStore.getState().resetFiles();
  useNotesStore.setState({ notes: {} });
  fileId = useAppStore.getState().beginFile('a.jsonl', 100);
  useAppStore.getState().addTrajectories(fileId, [trajectory('t-1'), trajectory('t-2')], []);
  useAppStore.getState().finishFile(fileId);
  useScoringStore.setState({ results: { [`${fileId}:0`]: scored(`${fileId}:0`) } });
});

const at = new Date('2026-12-05T08:30:00.000Z');

describe('the notes store', () => {
  it('adds, edits and deletes notes, refusing one that says nothing', () => {
    const key = `${fileId}:0`;
    const id = addNote(key, { message: 1, tokens: { start: 0, end: 2 }, text: 'gave up', tags: [' decisive ', 'decisive', 'mine'] }, at);
    expect(useNotesStore.getState().notes[id]).toEqual({ id, key, message: 1, tokens: { start: 0, end: 2 }, text: 'gave up', tags: ['decisive', 'mine'], created: at.toISOString() });
    updateNote(id, { text: 'gave up the refund', tags: ['recovery'] });
    expect(useNotesStore.getState().notes[id]).toMatchObject({ text: 'gave up the refund', tags: ['recovery'], created: at.toISOString() });
    expect(() => addNote(key, { message: 1, tokens: null, text: '  ', tags: [] })).toThrow('a note needs text or a tag');
    deleteNote(id);
    expect(useNotesStore.getState().notes).toEqual({});
  });

  it('exports JSON Lines that import back into the same notes, and names each line it cannot use', () => {
    addNote(`${fileId}:0`, { message: 1, tokens: { start: 1, end: 2 }, text: '<img src=x onerror=alert(1)>', tags: ['false alarm'] }, at);
    addNote(`${fileId}:1`, { message: 1, tokens: null, text: 'whole step', tags: [] }, at);
    const keys = useAppStore.getState().trajectoryOrder;
    const exported = exportedNotesOf(keys);
    expect(exported.map((n) => [n.trajectory, n.file, n.message, n.tokens, n.text])).toEqual([
      ['t-1', 'a.jsonl', 1, { start: 1, end: 2 }, '<img src=x onerror=alert(1)>'],
      ['t-2', 'a.jsonl', 1, null, 'whole step'],
    ]);
    const text = notesJsonLinesOf(keys);
    useNotesStore.setState({ notes: {} });
    const bad = [
      JSON.stringify({ ...exported[0], trajectory: 'nope' }),
      JSON.stringify({ ...exported[0], message: 0 }),
      JSON.stringify({ ...exported[0], tokens: { start: 0, end: 3 } }),
    ].join('\n');
    const outcome = importNotesJsonLines(`${text}${bad}\n`, 'notes.jsonl');
    expect(outcome.errors).toEqual([
      'notes.jsonl: line 3: no loaded trajectory has the id "nope" (file "a.jsonl")',
      'notes.jsonl: line 4: message 0 is not an action step of the trajectory',
      "notes.jsonl: line 5: the token range 0-3 ends past the step's 2 scored tokens",
    ]);
    expect(outcome.added).toBe(2);
    expect(notesJsonLinesOf(keys)).toBe(text);
    // The same file again adds nothing twice.
    expect(importNotesJsonLines(text, 'notes.jsonl')).toEqual({ added: 0, duplicates: 2, errors: [] });
  });

  it('filters the list by notes and by tag, and drops a closed file’s notes', () => {
    addNote(`${fileId}:1`, { message: 1, tokens: null, text: 'x', tags: ['recovery'] }, at);
    const { trajectoryOrder, trajectories } = useAppStore.getState();
    const tags = noteTagsByKey(useNotesStore.getState().notes);
    const list = (patch: Partial<typeof DEFAULT_LIST_FILTERS>) => visibleKeys(trajectoryOrder, trajectories, { ...DEFAULT_LIST_FILTERS, ...patch }, new Map(), tags);
    expect(list({})).toEqual(trajectoryOrder);
    expect(list({ notes: 'with-notes' })).toEqual([`${fileId}:1`]);
    expect(list({ notes: 'with-notes', noteTag: 'recovery' })).toEqual([`${fileId}:1`]);
    expect(list({ notes: 'with-notes', noteTag: 'decisive' })).toEqual([]);
    useAppStore.getState().removeFile(fileId);
    expect(useNotesStore.getState().notes).toEqual({});
  });
});
