/**
 * Taking the session over from another tab: the saved session, plus the files this tab opened
 * meanwhile (new ids, keys and scores moved with them), the scores it computed for a file both
 * tabs have, and nothing the other tab closed.
 */
import { describe, expect, it } from 'vitest';
import { mergeTabIntoSaved } from '../../../../src/state/persistence/merge';
import type { RestoredSession } from '../../../../src/state/persistence/records';
import { loadedFile, scored } from './fixtures';

function savedWith(...files: ReturnType<typeof loadedFile>[]): RestoredSession {
  return {
    files: files.map((f) => f.file),
    trajectories: Object.assign({}, ...files.map((f) => f.trajectories)),
    results: {},
    resultCacheKeys: {},
    session: null,
    job: null,
    orphanTrajectoryKeys: [],
    staleResultKeys: [],
    notes: {},
    staleNoteIds: [],
  };
}

describe('mergeTabIntoSaved', () => {
  it('adds the tab’s own files under new ids, with their scores moved to the new keys', () => {
    // The other tab saved files 1 and 2; this tab had read file 1 and opened its own file 2 (same id, another file).
    const saved = savedWith(loadedFile(1, 'a.jsonl', 2), loadedFile(2, 'other-tab.jsonl', 1));
    saved.results = { '2:0': scored('2:0', -1) };
    const mine = loadedFile(2, 'mine.jsonl', 3);
    const tab = {
      files: [loadedFile(1, 'a.jsonl', 2).file, mine.file],
      trajectories: { ...loadedFile(1, 'a.jsonl', 2).trajectories, ...mine.trajectories },
      results: { '2:1': scored('2:1', -2) },
      resultCacheKeys: { '2:1': 'pair:1|fp32|plain|fnv1a64:m1' },
    };
    const merged = mergeTabIntoSaved(saved, tab, new Set([1]));
    expect(merged.addedFiles).toBe(1);
    expect(merged.addedScores).toBe(1);
    expect(merged.session.files.map((f) => [f.id, f.name, f.trajectoryKeys])).toEqual([
      [1, 'a.jsonl', ['1:0', '1:1']],
      [2, 'other-tab.jsonl', ['2:0']],
      [3, 'mine.jsonl', ['3:0', '3:1', '3:2']],
    ]);
    // The other tab's file and score are untouched; this tab's trajectories and score moved to file 3.
    expect(merged.session.results['2:0']).toEqual(scored('2:0', -1));
    expect(merged.session.trajectories['3:1']).toEqual({ ...mine.trajectories['2:1'], key: '3:1', fileId: 3 });
    expect(merged.session.results['3:1']).toEqual({ ...scored('2:1', -2), key: '3:1' });
    expect(merged.session.resultCacheKeys).toEqual({ '3:1': 'pair:1|fp32|plain|fnv1a64:m1' });
    expect(Object.keys(merged.session.trajectories).sort()).toEqual(['1:0', '1:1', '2:0', '3:0', '3:1', '3:2']);
  });

  it('adds a file both tabs opened once, filling in the scores the saved session lacks', () => {
    const saved = savedWith(loadedFile(4, 'same.jsonl', 3));
    saved.results = { '4:0': scored('4:0', -1) };
    const mine = loadedFile(9, 'same.jsonl', 3);
    const tab = { files: [mine.file], trajectories: mine.trajectories, results: { '9:0': scored('9:0', -5), '9:2': scored('9:2', -3) }, resultCacheKeys: {} };
    const merged = mergeTabIntoSaved(saved, tab, new Set());
    expect(merged.addedFiles).toBe(0);
    expect(merged.addedScores).toBe(1);
    expect(merged.session.files.map((f) => f.id)).toEqual([4]);
    // The saved score stays; the missing one comes from this tab, on the saved file's key.
    expect(merged.session.results['4:0']).toEqual(scored('4:0', -1));
    expect(merged.session.results['4:2']).toEqual({ ...scored('9:2', -3), key: '4:2' });
  });

  it('does not bring back a file the other tab closed or cleared, nor a file still being read', () => {
    const saved = savedWith();
    const restored = loadedFile(1, 'closed-elsewhere.jsonl', 2);
    const reading = loadedFile(2, 'reading.jsonl', 1);
    const tab = {
      files: [restored.file, { ...reading.file, status: 'parsing' as const }],
      trajectories: { ...restored.trajectories, ...reading.trajectories },
      results: { '1:0': scored('1:0') },
      resultCacheKeys: {},
    };
    const merged = mergeTabIntoSaved(saved, tab, new Set([1]));
    expect(merged).toMatchObject({ addedFiles: 0, addedScores: 0 });
    expect(merged.session.files).toEqual([]);
    expect(merged.session.trajectories).toEqual({});
  });
});
