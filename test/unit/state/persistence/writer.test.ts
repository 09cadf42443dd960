/**
 * The session writer against an in-memory IndexedDB (fake-indexeddb): what it writes, what it
 * leaves alone, the order that keeps a reload consistent, and a quota error that loses nothing.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSessionDatabase, type SessionDatabase } from '../../../../src/state/persistence/database';
import { readStoredSession } from '../../../../src/state/persistence/reader';
import { restoredSessionOf, type JobRecord, type SaveFailure } from '../../../../src/state/persistence/records';
import { knownCacheKeys } from '../../../../src/state/persistence/score-cache';
import { SessionWriter } from '../../../../src/state/persistence/writer';
import { FakeStores, scored } from './fixtures';
import { isPackedScoreRecord, unpackScoreRecord, type PackedScoreRecord } from '../../../../src/core/scores/packed';

interface Instrumented {
  db: SessionDatabase;
  /** Records put, by store name. */
  puts: Record<string, number>;
  /** Transactions that write to one of these stores fail as a full disk would make them. */
  failStores: Set<string>;
  /** The error they fail with (a full quota unless a test says otherwise). */
  failWith: () => Error;
}

/**
 * Wraps the database: counts every put, and makes chosen transactions end in QuotaExceededError
 * with nothing committed (they are aborted instead of committed, as the browser does).
 */
function instrument(db: SessionDatabase): Instrumented {
  const state: Instrumented = { db, puts: {}, failStores: new Set(), failWith: () => new DOMException('The quota has been exceeded.', 'QuotaExceededError') };
  const transaction = db.transaction.bind(db) as (...args: unknown[]) => ReturnType<SessionDatabase['transaction']>;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop !== 'transaction') {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        const tx = transaction(...args);
        const names = ([] as string[]).concat(args[0] as string | string[]);
        const failing = args[1] === 'readwrite' && names.some((n) => state.failStores.has(n));
        const done = failing
          ? tx.done.then(
              () => Promise.reject(new Error('a failing transaction committed')),
              () => Promise.reject(state.failWith()),
            )
          : tx.done;
        const countingStore = (name: string) => {
          const store = tx.objectStore(name as never);
          return new Proxy(store, {
            get(s, p) {
              const value = Reflect.get(s, p, s);
              if (p === 'put') return (...putArgs: unknown[]) => ((state.puts[name] = (state.puts[name] ?? 0) + 1), (value as (...a: unknown[]) => unknown).apply(s, putArgs));
              return typeof value === 'function' ? value.bind(s) : value;
            },
          });
        };
        return new Proxy(tx, {
          get(t, p) {
            if (p === 'done') return done;
            if (p === 'commit') return failing ? () => t.abort() : () => t.commit();
            if (p === 'objectStore') return countingStore;
            if (p === 'store') return countingStore(names[0]);
            const value = Reflect.get(t, p, t);
            return typeof value === 'function' ? value.bind(t) : value;
          },
        });
      };
    },
  });
  state.db = wrapped;
  return state;
}

async function restore(db: SessionDatabase) {
  const { stored, invalidSession } = await readStoredSession(db);
  expect(invalidSession).toBeNull();
  return restoredSessionOf(stored);
}

let stores: FakeStores;
let failures: (SaveFailure | null)[];
let raw: SessionDatabase;
let io: Instrumented;
let writer: SessionWriter;

beforeEach(async () => {
  globalThis.indexedDB = new IDBFactory();
  knownCacheKeys.clear();
  raw = await openSessionDatabase();
  io = instrument(raw);
  stores = new FakeStores();
  failures = [];
  writer = new SessionWriter(io.db, { snapshot: stores.snapshot, onFailure: (f) => failures.push(f), sliceMs: 0 });
});

describe('the session writer', () => {
  it('writes a session that reads back the same', async () => {
    stores.addFile(1, 'a.jsonl', 3);
    stores.addFile(2, 'b.jsonl', 2);
    stores.addResult('1:1', 'pair:1|fp32|plain|fnv1a64:11');
    stores.session = { selectedKey: '2:1', activeTab: 'group' };
    await writer.flush();
    const restored = await restore(raw);
    expect(restored.files).toEqual(stores.files);
    expect(restored.trajectories).toEqual(stores.trajectories);
    expect(restored.results).toEqual(stores.results);
    expect(restored.resultCacheKeys).toEqual(stores.resultCacheKeys);
    expect(restored.session).toMatchObject({ selectedKey: '2:1', activeTab: 'group', fileOrder: [1, 2] });
    expect(failures).toEqual([]);
  });

  it('writes only what changed: a new file’s trajectories, one new score, nothing for an unchanged state', async () => {
    stores.addFile(1, 'a.jsonl', 50);
    await writer.flush();
    expect(io.puts).toEqual({ trajectories: 50, files: 1, session: 1 });

    io.puts = {};
    await writer.flush();
    expect(io.puts).toEqual({});

    stores.addFile(2, 'b.jsonl', 2);
    stores.addResult('1:7', 'pair:1|fp32|plain|fnv1a64:17');
    await writer.flush();
    // The new file's two trajectories, its record, one result with its cache entry, and the session record (file order).
    expect(io.puts).toEqual({ trajectories: 2, files: 1, results: 1, scoreCache: 1, session: 1 });

    io.puts = {};
    stores.session = { selectedKey: '1:3' };
    await writer.flush();
    expect(io.puts).toEqual({ session: 1 });
  });

  it('does not write a cache entry again that is already stored (a cache hit)', async () => {
    stores.addFile(1, 'a.jsonl', 2);
    stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:same');
    await writer.flush();
    io.puts = {};
    // The same trajectory content under another key: the result record is new, the cache entry is not.
    stores.addResult('1:1', 'pair:1|fp32|plain|fnv1a64:same');
    await writer.flush();
    expect(io.puts).toEqual({ results: 1 });
  });

  it('saves a file only once it has finished reading, and deletes a closed file with its trajectories and scores', async () => {
    const file = stores.addFile(1, 'a.jsonl', 2);
    stores.files = [{ ...file, status: 'parsing' }];
    await writer.flush();
    let restored = await restore(raw);
    expect(restored.files).toEqual([]);
    // Its trajectories were written already (they never change): on restore they are orphans, listed for deletion.
    expect(restored.orphanTrajectoryKeys.sort()).toEqual(['1:0', '1:1']);

    stores.files = [file];
    stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:10');
    await writer.flush();
    restored = await restore(raw);
    expect(restored.files.map((f) => f.name)).toEqual(['a.jsonl']);

    stores.removeFile(1);
    await writer.flush();
    const { stored } = await readStoredSession(raw);
    expect(stored.files).toEqual([]);
    expect(stored.trajectories).toEqual([]);
    expect(stored.results).toEqual([]);
    // The cache keeps the score: opening the file again finds it.
    expect(await raw.count('scoreCache')).toBe(1);
  });

  it('keeps figures that came with a file inline, unless they are the trajectory’s own score record', async () => {
    stores.addFile(1, 'a.jsonl', 2);
    // A bundle's figures: precomputed, and not in the trajectory.
    stores.results = { ...stores.results, '1:0': { ...scored('1:0'), device: 'precomputed' } };
    // A score file's figures: the trajectory carries them (metadata.scoreRecord), so they are read again, not saved.
    const own = scored('1:1').record;
    stores.trajectories = { ...stores.trajectories, '1:1': { ...stores.trajectories['1:1'], trajectory: { ...stores.trajectories['1:1'].trajectory, metadata: { scoreRecord: own } } } };
    stores.results = { ...stores.results, '1:1': { ...scored('1:1'), record: own, device: 'precomputed' } };
    await writer.flush();
    expect(io.puts.results).toBe(1);
    expect(io.puts.scoreCache).toBeUndefined();
    const restored = await restore(raw);
    expect(restored.results).toEqual({ '1:0': { ...scored('1:0'), device: 'precomputed' } });
    expect(restored.resultCacheKeys).toEqual({});
  });

  it('keeps a job record from its start until its last results are saved', async () => {
    stores.addFile(1, 'a.jsonl', 3);
    const job: JobRecord = { pairKey: 'pair:1', pairLabel: 'p / r', dtype: 'fp32', render: 'plain', keys: ['1:0', '1:1', '1:2'], failedKeys: [], startedAt: 1 };
    stores.pendingJob = job;
    await writer.flush();
    expect(await raw.get('job', 'current')).toEqual(job);

    stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:a');
    await writer.flush();
    expect(keysLeft(await restore(raw))).toEqual(['1:1', '1:2']);

    stores.addResult('1:1', 'pair:1|fp32|plain|fnv1a64:b');
    stores.addResult('1:2', 'pair:1|fp32|plain|fnv1a64:c');
    stores.pendingJob = null;
    await writer.flush();
    expect(await raw.get('job', 'current')).toBeUndefined();
    expect(Object.keys((await restore(raw)).results).sort()).toEqual(['1:0', '1:1', '1:2']);
  });

  it('reports a full quota with what was kept, loses nothing saved, and still saves the settings', async () => {
    stores.addFile(1, 'a.jsonl', 4);
    stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:a');
    await writer.flush();
    const before = await restore(raw);

    io.failStores.add('trajectories');
    stores.addFile(2, 'big.jsonl', 30);
    stores.session = { activeTab: 'dataset' };
    await writer.flush();
    // What is kept is read back from the database: the first file with its score, not the new one.
    expect(failures.at(-1)).toEqual({ kind: 'quota', reason: 'The quota has been exceeded.', kept: { files: 1, trajectories: 4, scores: 1 } });
    const after = await restore(raw);
    expect(after.files).toEqual(before.files);
    expect(after.trajectories).toEqual(before.trajectories);
    expect(after.results).toEqual(before.results);
    expect(after.session?.activeTab).toBe('dataset');

    // Space again: the next change writes what was missing, and the notice goes.
    io.failStores.clear();
    stores.session = { activeTab: 'trajectory' };
    await writer.flush();
    expect(failures.at(-1)).toBeNull();
    expect((await restore(raw)).files.map((f) => f.name)).toEqual(['a.jsonl', 'big.jsonl']);
  });

  it('after another failure (a disk error) stops saving and reports what the database holds, read back, not what it wrote', async () => {
    stores.addFile(1, 'a.jsonl', 3);
    stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:a');
    await writer.flush();
    // A disk error can cost more than the write that failed: here the browser lost the saved scores.
    await raw.clear('results');
    io.failWith = () => new DOMException('Failed to write blobs (IOError)', 'UnknownError');
    io.failStores.add('trajectories');
    stores.addFile(2, 'b.jsonl', 2);
    await writer.flush();
    expect(failures.at(-1)).toEqual({ kind: 'failed', reason: 'Failed to write blobs (IOError)', kept: { files: 1, trajectories: 3, scores: 0 } });
    // Saving has stopped: nothing more is written, even with room again.
    io.failStores.clear();
    io.puts = {};
    stores.session = { activeTab: 'dataset' };
    await writer.flush();
    expect(io.puts).toEqual({});
  });

  it('says so when nothing can be read back, and reports a connection closed under it', async () => {
    const unreadable = new SessionWriter(io.db, { snapshot: stores.snapshot, onFailure: (f) => failures.push(f), sliceMs: 0, readBack: () => Promise.reject(new Error('the database is gone')) });
    stores.addFile(1, 'a.jsonl', 1);
    io.failStores.add('trajectories');
    await unreadable.flush();
    expect(failures.at(-1)).toEqual({ kind: 'quota', reason: 'The quota has been exceeded.', kept: { unreadable: 'the database is gone' } });
    io.failStores.clear();
    await writer.flush();
    await writer.fail('the browser closed its storage unexpectedly');
    expect(failures.at(-1)).toEqual({ kind: 'failed', reason: 'the browser closed its storage unexpectedly', kept: { files: 1, trajectories: 1, scores: 0 } });
  });

  it('keeps the interrupted job when a quota error stops its results', async () => {
    stores.addFile(1, 'a.jsonl', 2);
    stores.pendingJob = { pairKey: 'pair:1', pairLabel: 'p / r', dtype: 'fp32', render: 'plain', keys: ['1:0', '1:1'], failedKeys: [], startedAt: 1 };
    await writer.flush();
    io.failStores.add('results');
    stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:a');
    stores.pendingJob = null;
    await writer.flush();
    // The score did not fit: the job must stay resumable.
    expect(await raw.get('job', 'current')).toBeDefined();
    expect((await restore(raw)).results).toEqual({});
  });

  it('writes after a quiet period, not on every change', async () => {
    const debounced = new SessionWriter(io.db, { snapshot: stores.snapshot, onFailure: () => undefined, debounceMs: 30, maxWaitMs: 1000, sliceMs: 0 });
    stores.addFile(1, 'a.jsonl', 1);
    for (let i = 0; i < 5; i++) {
      stores.session = { selectedKey: i % 2 ? '1:0' : null };
      debounced.schedule();
    }
    expect(io.puts).toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 100));
    await debounced.flush();
    expect(io.puts.session).toBe(1);
    expect(io.puts.trajectories).toBe(1);
  });
});

function keysLeft(restored: Awaited<ReturnType<typeof restore>>): string[] {
  const job = restored.job!;
  return job.keys.filter((k) => !(k in restored.results));
}

// The fixtures' score shape is what the cache stores (without the key), its record packed.
it('stores a score without its trajectory key in the cache, its record packed', async () => {
  stores.addFile(1, 'a.jsonl', 1);
  stores.addResult('1:0', 'pair:1|fp32|plain|fnv1a64:a', -0.75);
  await writer.flush();
  const { key: _key, record, ...result } = scored('1:0', -0.75);
  const entry = await raw.get('scoreCache', 'pair:1|fp32|plain|fnv1a64:a');
  expect(entry).toMatchObject({ pairKey: 'pair:1', dtype: 'fp32', render: 'plain', contentHash: 'fnv1a64:a', result });
  expect(isPackedScoreRecord(entry!.result.record)).toBe(true);
  expect(unpackScoreRecord(entry!.result.record)).toEqual(record);
});

it('saves score records packed (typed arrays, one string of tokens) and restores them plain', async () => {
  stores.addFile(1, 'a.jsonl', 2);
  // A score file's trajectory carries its record; a bundle's figures are saved inline.
  const own = scored('1:1', -0.5).record;
  stores.trajectories = { ...stores.trajectories, '1:1': { ...stores.trajectories['1:1'], trajectory: { ...stores.trajectories['1:1'].trajectory, metadata: { scoreRecord: own } } } };
  stores.results = { ...stores.results, '1:0': { ...scored('1:0'), device: 'precomputed' } };
  await writer.flush();
  const savedTrajectory = await raw.get('trajectories', '1:1');
  const savedRecord = savedTrajectory!.trajectory.metadata.scoreRecord as PackedScoreRecord;
  expect(isPackedScoreRecord(savedRecord)).toBe(true);
  expect(savedRecord.steps[0].policy).toBeInstanceOf(Float64Array);
  expect(savedRecord.steps[0].tokens).toEqual({ text: 'Hi there', ends: Uint32Array.from([2, 8]) });
  const savedResult = await raw.get('results', '1:0');
  expect('result' in savedResult! && isPackedScoreRecord(savedResult.result.record)).toBe(true);
  const restored = await restore(raw);
  expect(restored.trajectories['1:1'].trajectory.metadata.scoreRecord).toEqual(own);
  expect(restored.results['1:0']).toEqual({ ...scored('1:0'), device: 'precomputed' });
});
