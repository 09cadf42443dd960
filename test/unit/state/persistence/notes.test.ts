/**
 * Notes in the saved session: the writer saves added, changed and deleted notes (and a note on a
 * trajectory only once that trajectory is saved), they read back as written, invalid or orphaned
 * ones are dropped for deletion, a version-1 database (before notes) is upgraded with its session
 * kept, and a take-over moves the tab's notes to its trajectories' new keys.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_NAME, openSessionDatabase, type SessionDatabase } from '../../../../src/state/persistence/database';
import { readStoredSession } from '../../../../src/state/persistence/reader';
import { restoredSessionOf, type NoteRecord } from '../../../../src/state/persistence/records';
import { SessionWriter } from '../../../../src/state/persistence/writer';
import { mergeTabIntoSaved } from '../../../../src/state/persistence/merge';
import { FakeStores, loadedFile } from './fixtures';

const note = (id: string, key: string, text = `note ${id}`): NoteRecord => ({ id, key, message: 1, tokens: { start: 0, end: 2 }, text, tags: ['decisive', 'my tag'], created: '2026-12-05T08:30:00.000Z' });

let db: SessionDatabase;
let stores: FakeStores;
let notes: Record<string, NoteRecord>;
let writer: SessionWriter;

async function restore() {
  const { stored } = await readStoredSession(db);
  return restoredSessionOf(stored);
}

beforeEach(async () => {
  globalThis.indexedDB = new IDBFactory();
  db = await openSessionDatabase();
  stores = new FakeStores();
  notes = {};
  writer = new SessionWriter(db, { snapshot: () => ({ ...stores.snapshot(), notes }), onFailure: () => undefined, sliceMs: 0 });
});

describe('notes in the saved session', () => {
  it('saves added, changed and deleted notes and reads them back as written', async () => {
    stores.addFile(1, 'a.jsonl', 2);
    notes = { n1: note('n1', '1:0'), n2: note('n2', '1:1') };
    await writer.flush();
    expect((await restore()).notes).toEqual(notes);

    notes = { n1: { ...notes.n1, text: 'changed', tags: [] }, n3: note('n3', '1:0') };
    await writer.flush();
    const restored = await restore();
    expect(restored.notes).toEqual(notes);
    expect(restored.staleNoteIds).toEqual([]);
  });

  it('drops notes whose trajectory is gone or that are not valid notes, listing them for deletion', async () => {
    stores.addFile(1, 'a.jsonl', 1);
    notes = { ok: note('ok', '1:0') };
    await writer.flush();
    await db.put('notes', note('orphan', '9:0'));
    await db.put('notes', { ...note('bad', '1:0'), tokens: { start: 3, end: 1 } });
    const restored = await restore();
    expect(Object.keys(restored.notes)).toEqual(['ok']);
    expect(restored.staleNoteIds.sort()).toEqual(['bad', 'orphan']);
  });

  it('waits for a note’s trajectory to be saved before saving the note', async () => {
    const file = stores.addFile(1, 'a.jsonl', 1);
    stores.files = [{ ...file, status: 'parsing' }];
    notes = { n: note('n', '1:0') };
    // The trajectory is written in this flush too, so the note follows it in the same flush.
    await writer.flush();
    expect(await db.count('notes')).toBe(1);
    notes = { n: note('n', '2:0') };
    await writer.flush();
    // 2:0 is not a saved trajectory: the changed note waits (the saved one stays as it was).
    expect((await db.get('notes', 'n'))?.key).toBe('1:0');
  });

  it('upgrades a version-1 database (no notes store) and keeps its session', async () => {
    db.close();
    globalThis.indexedDB = new IDBFactory();
    const v1 = await openDB(DATABASE_NAME, 1, {
      upgrade(d) {
        d.createObjectStore('session');
        d.createObjectStore('files', { keyPath: 'id' });
        d.createObjectStore('trajectories', { keyPath: 'key' });
        d.createObjectStore('results', { keyPath: 'key' });
        d.createObjectStore('scoreCache', { keyPath: 'cacheKey' });
        d.createObjectStore('job');
      },
    });
    const { file, trajectories } = loadedFile(1, 'old.jsonl', 2);
    await v1.put('files', { id: 1, name: file.name, size: file.size, status: 'done', trajectoryKeys: file.trajectoryKeys, errors: [] });
    for (const t of Object.values(trajectories)) await v1.put('trajectories', t);
    v1.close();
    db = await openSessionDatabase();
    expect([...db.objectStoreNames]).toContain('notes');
    const restored = await restore();
    expect(restored.files.map((f) => f.name)).toEqual(['old.jsonl']);
    expect(Object.keys(restored.trajectories)).toEqual(['1:0', '1:1']);
    expect(restored.notes).toEqual({});
  });

  it('moves a tab’s notes to the keys its files get in the merged session, once each', async () => {
    stores.addFile(1, 'a.jsonl', 1);
    notes = { saved: note('saved', '1:0') };
    await writer.flush();
    const saved = await restore();
    const mine = loadedFile(1, 'mine.jsonl', 2);
    const twin = loadedFile(7, 'a.jsonl', 1);
    const merged = mergeTabIntoSaved(
      saved,
      {
        files: [mine.file, twin.file],
        trajectories: { ...mine.trajectories, ...twin.trajectories },
        results: {},
        resultCacheKeys: {},
        notes: { saved: note('saved', '7:0'), mine: note('mine', '1:1'), twin: note('twin', '7:0') },
      },
      new Set(),
    );
    expect(merged.addedNotes).toBe(2);
    const newFile = merged.session.files.find((f) => f.name === 'mine.jsonl')!;
    expect(merged.session.notes.mine.key).toBe(newFile.trajectoryKeys[1]);
    expect(merged.session.notes.twin.key).toBe('1:0');
    expect(merged.session.notes.saved).toEqual(note('saved', '1:0'));
  });
});
