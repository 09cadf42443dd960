import { describe, expect, it } from 'vitest';
import {
  changedKeys,
  fileRecordOf,
  keptSummary,
  saveFailureText,
  keysLeftInJob,
  persistedModelChoice,
  restoredSessionOf,
  sessionRecordOf,
  sessionRecordSchema,
  sessionRecordText,
  type CachedScore,
  type JobRecord,
  type StoredSession,
} from '../../../../src/state/persistence/records';
import { loadedFile, scored, sessionSnapshot } from './fixtures';
import type { ScoredTrajectory } from '../../../../src/core/scoring';

const job: JobRecord = { pairKey: 'pair:1', pairLabel: 'a / b', dtype: 'fp32', render: 'plain', keys: ['1:0', '1:1', '1:2', '9:0'], failedKeys: ['1:2'], startedAt: 1 };

function withoutKey(result: ScoredTrajectory): CachedScore['result'] {
  const { key: _key, ...rest } = result;
  return rest;
}

function cached(cacheKey: string, key: string): CachedScore {
  return { cacheKey, pairKey: 'pair:1', dtype: 'fp32', render: 'plain', contentHash: 'fnv1a64:1', result: withoutKey(scored(key)), savedAt: 5 };
}

describe('session record', () => {
  it('holds the settings, selection, tab, list filters and model choice, and passes its own schema', () => {
    const { file } = loadedFile(4, 'a.jsonl', 2);
    const record = sessionRecordOf(
      sessionSnapshot([file], { activeTab: 'dataset', selectedStep: { key: '4:1', message: 1 }, tokenRange: { key: '4:1', message: 1, start: 0, end: 2 }, resultsPairKey: 'pair:1|fp32' }),
      1234,
    );
    expect(record).toMatchObject({ schema: 1, savedAt: 1234, fileOrder: [4], selectedKey: '4:0', activeTab: 'dataset', resultsPairKey: 'pair:1|fp32', model: { choice: { kind: 'demo' }, dtype: 'fp32', devicePreference: 'wasm', render: 'plain' } });
    expect(sessionRecordSchema.parse(record)).toEqual(record);
    // The time stamp alone is no reason to write again.
    expect(sessionRecordText({ ...record, savedAt: 99 })).toBe(sessionRecordText(record));
  });

  it('is rejected when a stored value is not one the app knows', () => {
    const record = sessionRecordOf(sessionSnapshot([]), 1);
    expect(sessionRecordSchema.safeParse({ ...record, schema: 2 }).success).toBe(false);
    expect(sessionRecordSchema.safeParse({ ...record, activeTab: 'settings' }).success).toBe(false);
    expect(sessionRecordSchema.safeParse({ ...record, analysis: { ...record.analysis, colourRange: -1 } }).success).toBe(false);
    expect(sessionRecordSchema.safeParse({ ...record, model: { ...record.model, dtype: 'int3' } }).success).toBe(false);
  });

  it('keeps dropped model folders by name only (their files are not stored)', () => {
    const files = new Map([['config.json', new File(['{}'], 'config.json')]]);
    expect(persistedModelChoice({ kind: 'folders', policy: { name: 'pol', files }, reference: null }, null)).toEqual({ kind: 'folders', policy: 'pol', reference: null });
    // Restored names survive until the user picks folders again.
    expect(persistedModelChoice({ kind: 'folders', policy: null, reference: null }, { policy: 'pol', reference: 'ref' })).toEqual({ kind: 'folders', policy: 'pol', reference: 'ref' });
    expect(persistedModelChoice({ kind: 'hub', policy: 'o/p', reference: 'o/r' }, null)).toEqual({ kind: 'hub', policy: 'o/p', reference: 'o/r' });
  });
});

describe('record mapping', () => {
  it('saves only files that finished reading', () => {
    const { file } = loadedFile(1, 'a.jsonl', 1);
    expect(fileRecordOf({ ...file, status: 'parsing' })).toBeNull();
    expect(fileRecordOf(file)).toEqual({ id: 1, name: 'a.jsonl', size: file.size, status: 'done', trajectoryKeys: ['1:0'], errors: [] });
  });

  it('finds changed and removed entries by identity', () => {
    const a = { n: 1 };
    const b = { n: 2 };
    const saved = new Map([
      ['a', a],
      ['b', b],
      ['gone', { n: 3 }],
    ]);
    expect(changedKeys(saved, { a, b: { n: 2 }, c: { n: 4 } })).toEqual({ changed: ['b', 'c'], removed: ['gone'] });
    expect(changedKeys(new Map(), {})).toEqual({ changed: [], removed: [] });
  });

  it('restores files in the saved order with their trajectories and scores', () => {
    const one = loadedFile(1, 'a.jsonl', 2);
    const two = loadedFile(2, 'b.jsonl', 1);
    const stored: StoredSession = {
      session: sessionRecordOf(sessionSnapshot([two.file, one.file]), 1),
      files: [fileRecordOf(one.file)!, fileRecordOf(two.file)!],
      trajectories: [...Object.values(one.trajectories), ...Object.values(two.trajectories)],
      results: [
        { key: '1:1', cacheKey: 'c1' },
        { key: '2:0', result: withoutKey({ ...scored('2:0'), device: 'precomputed' }) },
      ],
      cached: new Map([['c1', cached('c1', '1:1')]]),
      job,
    };
    const restored = restoredSessionOf(stored);
    expect(restored.files.map((f) => f.name)).toEqual(['b.jsonl', 'a.jsonl']);
    expect(restored.files[1]).toEqual({ ...one.file, bytesRead: one.file.size });
    expect(Object.keys(restored.trajectories).sort()).toEqual(['1:0', '1:1', '2:0']);
    expect(restored.results).toEqual({ '1:1': scored('1:1'), '2:0': { ...scored('2:0'), device: 'precomputed' } });
    expect(restored.resultCacheKeys).toEqual({ '1:1': 'c1' });
    expect(restored.job).toBe(job);
    expect(restored.orphanTrajectoryKeys).toEqual([]);
  });

  it('tolerates partial saves: orphans and stale scores are listed for deletion, missing trajectories are said', () => {
    const one = loadedFile(1, 'a.jsonl', 3);
    const orphan = loadedFile(7, 'closed.jsonl', 1);
    const stored: StoredSession = {
      session: null,
      files: [fileRecordOf(one.file)!],
      trajectories: [one.trajectories['1:0'], one.trajectories['1:2'], orphan.trajectories['7:0']],
      results: [
        { key: '1:0', cacheKey: 'missing-entry' },
        { key: '7:0', cacheKey: 'c7' },
      ],
      cached: new Map([['c7', cached('c7', '7:0')]]),
      job: null,
    };
    const restored = restoredSessionOf(stored);
    expect(restored.files[0].trajectoryKeys).toEqual(['1:0', '1:2']);
    expect(restored.files[0].errors.map((e) => e.message)).toEqual(['a.jsonl: 1 of 3 trajectories were not kept in browser storage; open the file again to see them.']);
    expect(restored.orphanTrajectoryKeys).toEqual(['7:0']);
    expect(restored.staleResultKeys.sort()).toEqual(['1:0', '7:0']);
    expect(restored.results).toEqual({});
  });

  it('knows what an interrupted job has left: asked for, still loaded, neither scored nor failed', () => {
    const { trajectories } = loadedFile(1, 'a.jsonl', 3);
    expect(keysLeftInJob(job, { '1:0': scored('1:0') }, trajectories)).toEqual(['1:1']);
    expect(keysLeftInJob(job, {}, trajectories)).toEqual(['1:0', '1:1']);
  });

  it('says what was kept in a sentence', () => {
    expect(keptSummary({ files: 1, trajectories: 1, scores: 0 })).toBe('Kept in this browser: 1 file, 1 trajectory, 0 scored trajectories.');
    expect(keptSummary({ files: 3, trajectories: 40, scores: 1 })).toBe('Kept in this browser: 3 files, 40 trajectories, 1 scored trajectory.');
  });

  it('words a failed write with what was read back, or that nothing could be, and the way to keep the rest', () => {
    expect(saveFailureText({ kind: 'quota', reason: 'The quota has been exceeded.', kept: { files: 3, trajectories: 67, scores: 12 } })).toBe(
      'Browser storage is full: the latest changes are kept in this tab only, not for the next visit. Kept in this browser: 3 files, 67 trajectories, 12 scored trajectories. (read back just now) Download the session as a bundle to keep all of it.',
    );
    expect(saveFailureText({ kind: 'failed', reason: 'Failed to write blobs (IOError)', kept: { unreadable: 'Internal error opening backing store' } })).toBe(
      'Saving the session failed (Failed to write blobs (IOError)) and this tab has stopped saving: changes are kept in this tab only, not for the next visit. Nothing could be read back from browser storage (Internal error opening backing store): the next visit may find none of this session. Download the session as a bundle to keep all of it.',
    );
  });
});
