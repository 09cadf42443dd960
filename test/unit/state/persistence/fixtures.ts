/** Small, real-shaped session state for the persistence tests. */
import type { Trajectory } from '../../../../src/core/trajectory/types';
import type { LoadedFile, LoadedTrajectory } from '../../../../src/state/store';
import type { ScoredTrajectory } from '../../../../src/core/scoring';
import { DEFAULT_ANALYSIS_SETTINGS } from '../../../../src/state/analysis';
import { DEFAULT_LIST_FILTERS } from '../../../../src/state/list-view';
import type { SessionSnapshot } from '../../../../src/state/persistence/records';
import type { WriterSnapshot } from '../../../../src/state/persistence/writer';

export function trajectory(id: string, text = `hello from ${id}`): Trajectory {
  return {
    id,
    format: 'openai-chat',
    taskId: 'task-1',
    messages: [
      { role: 'user', sourceRole: 'user', content: 'Change my seat' },
      { role: 'assistant', sourceRole: 'assistant', content: text, toolCalls: [{ name: 'get_flight', arguments: { flight: 42, seat: '12A' } }] },
    ],
    actionSteps: [1],
    labels: { reward: 1, success: true },
    metadata: { line: 3 },
  };
}

/** A finished file with `count` trajectories, keyed `fileId:index`. */
export function loadedFile(id: number, name: string, count: number): { file: LoadedFile; trajectories: Record<string, LoadedTrajectory> } {
  const trajectories: Record<string, LoadedTrajectory> = {};
  const keys: string[] = [];
  for (let index = 0; index < count; index++) {
    const key = `${id}:${index}`;
    keys.push(key);
    trajectories[key] = { key, fileId: id, fileName: name, index, trajectory: trajectory(`${name}-${index}`) };
  }
  return { file: { id, name, size: 1000 + count, status: 'done', bytesRead: 1000 + count, trajectoryKeys: keys, errors: [] }, trajectories };
}

export function scored(key: string, value = -1.5): ScoredTrajectory {
  return {
    key,
    record: { id: key, steps: [{ message: 1, policy: [value, -0.25], reference: [-2, -0.5], tokens: ['Hi', ' there'] }] },
    notScored: [],
    stepLevelOnly: false,
    tokens: 12,
    messageTokenCounts: [5, 7],
    forwardedTokens: 24,
    device: 'wasm',
  };
}

export function sessionSnapshot(files: readonly LoadedFile[], patch: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    files,
    selectedKey: files[0]?.trajectoryKeys[0] ?? null,
    activeTab: 'trajectory',
    selectedStep: null,
    tokenRange: null,
    analysis: DEFAULT_ANALYSIS_SETTINGS,
    listFilters: DEFAULT_LIST_FILTERS,
    model: { choice: { kind: 'demo' }, rememberedFolders: null, dtype: 'fp32', devicePreference: 'wasm', render: 'plain', referenceMerge: null },
    resultsPairKey: null,
    pairLoaded: false,
    ...patch,
  };
}

/** A mutable stand-in for the stores: tests replace objects in it as the app's actions do. */
export class FakeStores {
  files: LoadedFile[] = [];
  trajectories: Record<string, LoadedTrajectory> = {};
  results: Record<string, ScoredTrajectory> = {};
  resultCacheKeys: Record<string, string> = {};
  pendingJob: WriterSnapshot['pendingJob'] = null;
  session: Partial<SessionSnapshot> = {};

  addFile(id: number, name: string, count: number): LoadedFile {
    const { file, trajectories } = loadedFile(id, name, count);
    this.files = [...this.files, file];
    this.trajectories = { ...this.trajectories, ...trajectories };
    return file;
  }

  removeFile(id: number): void {
    const file = this.files.find((f) => f.id === id)!;
    this.files = this.files.filter((f) => f.id !== id);
    this.trajectories = Object.fromEntries(Object.entries(this.trajectories).filter(([k]) => !file.trajectoryKeys.includes(k)));
  }

  addResult(key: string, cacheKey: string, value = -1.5): void {
    this.results = { ...this.results, [key]: scored(key, value) };
    this.resultCacheKeys = { ...this.resultCacheKeys, [key]: cacheKey };
  }

  snapshot = (): WriterSnapshot => ({
    session: sessionSnapshot(this.files, this.session),
    files: this.files,
    trajectories: this.trajectories,
    results: this.results,
    resultCacheKeys: this.resultCacheKeys,
    pendingJob: this.pendingJob,
  });
}
