/** The stores' persistence declarations (state/persisted.ts) and the loops over them (persistence/records.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_SETTINGS, useAnalysisStore, useLinkedViewStore } from '../../../src/state/analysis';
import { DEFAULT_LIST_FILTERS, useListStore } from '../../../src/state/list-view';
import { INITIAL_SCORING_STATE, useScoringStore } from '../../../src/state/scoring';
import { PERSISTED_STORES, restoreStores, sessionRecordOf, sessionRecordSchema, snapshotOfStores, watchPersistedStores } from '../../../src/state/persistence/records';
import { loadedFile } from './persistence/fixtures';

afterEach(() => {
  useAnalysisStore.setState(DEFAULT_ANALYSIS_SETTINGS, true);
  useListStore.setState(DEFAULT_LIST_FILTERS, true);
  useLinkedViewStore.setState({ hovered: null, selected: null, tokenRange: null, overlay: [] });
  useScoringStore.setState(INITIAL_SCORING_STATE, true);
});

describe('persistence declarations', () => {
  it('make up the session record: its keys are the declared ones', () => {
    const declared = PERSISTED_STORES.flatMap((d) => Object.keys(d.fields));
    expect(Object.keys(sessionRecordSchema.shape)).toEqual(['schema', 'savedAt', 'fileOrder', ...declared]);
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('write what the stores hold and restore it, dropping what the session no longer has', () => {
    const { file } = loadedFile(1, 'a.jsonl', 2);
    useAnalysisStore.setState({ colourRange: 3.5, showWhitespace: true, evaluation: { ...DEFAULT_ANALYSIS_SETTINGS.evaluation, k: 3 } });
    useListStore.setState({ fileId: 7, search: 'seat' });
    useLinkedViewStore.setState({ selected: { key: '1:1', message: 1 }, tokenRange: { key: '9:0', message: 1, start: 0, end: 1 } });
    useScoringStore.setState({ dtype: 'q4', render: 'plain', choice: { kind: 'hub', policy: 'o/p', reference: 'o/r' } });
    const record = sessionRecordSchema.parse(structuredClone(sessionRecordOf(snapshotOfStores([file]), 5)));
    expect(record).toMatchObject({ fileOrder: [1], analysis: { colourRange: 3.5, showWhitespace: true, evaluation: { k: 3 } }, listFilters: { fileId: 7, search: 'seat' }, model: { dtype: 'q4', render: 'plain' } });

    useAnalysisStore.setState(DEFAULT_ANALYSIS_SETTINGS, true);
    useListStore.setState(DEFAULT_LIST_FILTERS, true);
    useLinkedViewStore.setState({ selected: null, tokenRange: null });
    useScoringStore.setState(INITIAL_SCORING_STATE, true);
    restoreStores(record, { hasTrajectory: (key) => key.startsWith('1:'), hasFile: (id) => id === 1 });
    expect(useAnalysisStore.getState()).toEqual(record.analysis);
    // File 7 is not open: the list shows every file; the token range's trajectory is gone.
    expect(useListStore.getState()).toEqual({ ...record.listFilters, fileId: 'all' });
    expect(useLinkedViewStore.getState()).toMatchObject({ selected: { key: '1:1', message: 1 }, tokenRange: null });
    expect(useScoringStore.getState()).toMatchObject({ dtype: 'q4', render: 'plain', choice: { kind: 'hub', policy: 'o/p', reference: 'o/r' } });
  });

  it('watch only the declared keys', () => {
    let changes = 0;
    const unsubscribe = watchPersistedStores(() => changes++);
    useLinkedViewStore.setState({ hovered: { key: '1:0', message: 1 }, overlay: ['1:1'] });
    useScoringStore.setState({ modelError: 'x', loadProgress: {} });
    expect(changes).toBe(0);
    useAnalysisStore.setState({ showWhitespace: true });
    useListStore.setState({ task: 'x' });
    useScoringStore.setState({ devicePreference: 'wasm' });
    // Whether the pair is loaded is kept (a reload loads it again): the model state is watched.
    useScoringStore.setState({ modelState: 'ready' });
    expect(changes).toBe(4);
    for (const u of unsubscribe) u();
  });
});
