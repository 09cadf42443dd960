/**
 * Bundles in and out of the app's stores: what is restored, and nothing when the file is bad.
 * The ingestion worker's half (decode, validate, pack, slice) and the page's half (unpack,
 * assemble) run in-process here, joined as Comlink joins them in the browser (test/e2e covers
 * the real worker).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { BUNDLE_ENTRIES_PER_MESSAGE, bundleReceiver, sendBundle, type PackedBundleEntry } from '../../../src/worker/bundle-transfer';

const slicesSent = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/worker/ingest-client', () => ({
  ingestClient: () => ({
    parseBlob: () => Promise.reject(new Error('not used here')),
    async decodeBundle(name: string, blob: Blob) {
      const receiver = bundleReceiver();
      // structuredClone stands in for postMessage: what crosses must survive it.
      const result = await sendBundle(name, blob, (slice: PackedBundleEntry[]) => {
        slicesSent.count++;
        receiver.onEntries(structuredClone(slice));
      });
      return receiver.finish(structuredClone(result));
    },
  }),
}));
import { useAppStore } from '../../../src/state/store';
import { useScoringStore } from '../../../src/state/scoring';
import { useAnalysisStore } from '../../../src/state/analysis';
import { collectBundle, describeModelPair, exportBundleBytes, importBundle, importBundlesAmong, modelPairOfResult } from '../../../src/state/bundles';
import { encodeBundle } from '../../../src/core/bundle';
import { payloadBundle, PAYLOADS } from '../core/bundle/fixtures';
import { examplesWithdrawn, markExampleFile, resetExampleFiles } from '../../../src/state/example-files';

const initial = { app: useAppStore.getState(), scoring: useScoringStore.getState(), analysis: useAnalysisStore.getState() };

beforeEach(() => {
  useAppStore.setState(initial.app, true);
  useScoringStore.setState(initial.scoring, true);
  useAnalysisStore.setState(initial.analysis, true);
  resetExampleFiles();
});

const blobOf = (bytes: Uint8Array<ArrayBuffer>) => new Blob([bytes]);

describe('importing a bundle', () => {
  it('restores trajectories by original file, their scores, the settings and the selection', async () => {
    const bundle = payloadBundle();
    bundle.settings = { ...bundle.settings, predictor: 'sharpest_drop', colourRange: 3.5, evaluation: { ...bundle.settings.evaluation, beta: 0.25, tokenAggregation: 'sum' } };
    bundle.entries.push({ ...bundle.entries[0], fileName: 'other.json' });
    await importBundle('b.pa-bundle.json.gz', blobOf(encodeBundle(bundle)));

    const app = useAppStore.getState();
    expect(app.files.map((f) => [f.name, f.status, f.trajectoryKeys.length])).toEqual([
      [`${PAYLOADS.img}.jsonl`, 'done', 2],
      ['other.json', 'done', 1],
    ]);
    const keys = app.trajectoryOrder;
    expect(keys.map((k) => app.trajectories[k].trajectory.id)).toEqual(bundle.entries.map((e) => e.trajectory.id));
    const results = useScoringStore.getState().results;
    expect(Object.keys(results).sort()).toEqual([keys[0], keys[2]].sort());
    // Figures from a file: marked precomputed, so that loading a model pair keeps them.
    expect(results[keys[0]]).toEqual({ key: keys[0], ...JSON.parse(JSON.stringify(bundle.entries[0].score)), device: 'precomputed' });
    expect(useAnalysisStore.getState()).toMatchObject({ predictor: 'sharpest_drop', colourRange: 3.5, evaluation: { beta: 0.25, tokenAggregation: 'sum' } });
    expect(app.selectedKey).toBe(keys[1]);
  });

  it('changes nothing but listing the failed file when the bundle is bad', async () => {
    const bytes = encodeBundle(payloadBundle());
    await importBundle('cut.pa-bundle.json.gz', blobOf(bytes.slice(0, bytes.length - 5)));
    const app = useAppStore.getState();
    expect(app.trajectoryOrder).toEqual([]);
    expect(app.files).toHaveLength(1);
    expect(app.files[0]).toMatchObject({ name: 'cut.pa-bundle.json.gz', status: 'failed' });
    expect(app.files[0].errors[0].message).toMatch(/^cut\.pa-bundle\.json\.gz: fails its gzip checksum/);
    expect(useScoringStore.getState().results).toEqual({});
    expect(useAnalysisStore.getState()).toEqual(initial.analysis);
  });

  it('is told apart from trajectory files by its content, not its name', async () => {
    const bundle = new File([encodeBundle(payloadBundle())], 'renamed.json');
    const trajectories = new File(['[{"role": "user", "content": "hi"}]'], 'chat.json');
    const rest = await importBundlesAmong([trajectories, bundle]);
    expect(rest).toEqual([trajectories]);
    expect(useAppStore.getState().trajectoryOrder).toHaveLength(2);
  });
});

describe('files with the same name', () => {
  it('stay apart through a bundle: by path, and by file when even the paths agree', async () => {
    const trajectory = payloadBundle().entries[1].trajectory;
    const store = () => useAppStore.getState();
    for (const name of ['Algorithm-Generated/7.json', 'Hand-Crafted/7.json', '7.json', '7.json']) {
      const id = store().beginFile(name, 1);
      store().addTrajectories(id, [trajectory], []);
      store().finishFile(id);
    }
    const bundle = collectBundle(store().trajectoryOrder);
    expect(bundle.entries.map((e) => [e.fileName, e.file])).toEqual([
      ['Algorithm-Generated/7.json', 0],
      ['Hand-Crafted/7.json', 1],
      ['7.json', 2],
      ['7.json', 3],
    ]);
    useAppStore.setState(initial.app, true);
    await importBundle('b.pa-bundle.json.gz', blobOf(encodeBundle(bundle)));
    expect(store().files.map((f) => [f.name, f.trajectoryKeys.length])).toEqual([
      ['Algorithm-Generated/7.json', 1],
      ['Hand-Crafted/7.json', 1],
      ['7.json', 1],
      ['7.json', 1],
    ]);
    // An older bundle (no file numbers) groups by name.
    useAppStore.setState(initial.app, true);
    await importBundle('old.pa-bundle.json.gz', blobOf(encodeBundle({ ...bundle, entries: bundle.entries.map(({ file: _file, ...rest }) => rest) })));
    expect(store().files.map((f) => [f.name, f.trajectoryKeys.length])).toEqual([
      ['Algorithm-Generated/7.json', 1],
      ['Hand-Crafted/7.json', 1],
      ['7.json', 2],
    ]);
  });

  it('open by their relative path (a folder pick): bundles among them are still recognised by content', async () => {
    const text = '[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]';
    const a = { file: new File([text], '7.json'), path: 'who/Algorithm-Generated/7.json' };
    const b = { file: new File([encodeBundle(payloadBundle())], 'x.json'), path: 'who/x.json' };
    const rest = await importBundlesAmong([a, b]);
    expect(rest).toEqual([a]);
    expect(useAppStore.getState().files.map((f) => f.name)).toEqual([`${PAYLOADS.img}.jsonl`]);
  });
});

describe('a bundle opened over the examples', () => {
  const openExample = () => {
    const id = useAppStore.getState().beginFile('demo-episodes.jsonl', 10);
    markExampleFile(id);
    useAppStore.getState().addTrajectories(id, [payloadBundle().entries[1].trajectory], []);
    useAppStore.getState().finishFile(id);
    return id;
  };

  it('replaces them: only the bundle’s files are open, and the examples still to come are not fetched', async () => {
    openExample();
    await importBundle('b.pa-bundle.json.gz', blobOf(encodeBundle(payloadBundle())));
    expect(useAppStore.getState().files.map((f) => f.name)).toEqual([`${PAYLOADS.img}.jsonl`]);
    expect(useAppStore.getState().trajectoryOrder).toHaveLength(payloadBundle().entries.length);
    expect(examplesWithdrawn()).toBe(true);
  });

  it('a damaged bundle withdraws nothing, and does not count as a file of the user’s', async () => {
    openExample();
    const bytes = encodeBundle(payloadBundle());
    await importBundle('cut.pa-bundle.json.gz', blobOf(bytes.slice(0, bytes.length - 5)));
    expect(useAppStore.getState().files.map((f) => f.name)).toEqual(['demo-episodes.jsonl', 'cut.pa-bundle.json.gz']);
    expect(examplesWithdrawn()).toBe(false);
    await importBundle('b.pa-bundle.json.gz', blobOf(bytes));
    expect(useAppStore.getState().files.map((f) => f.name)).toEqual(['cut.pa-bundle.json.gz', `${PAYLOADS.img}.jsonl`]);
  });

  it('joins them once the user has opened a file of their own', async () => {
    openExample();
    const own = useAppStore.getState().beginFile('mine.json', 1);
    useAppStore.getState().addTrajectories(own, [payloadBundle().entries[1].trajectory], []);
    useAppStore.getState().finishFile(own);
    await importBundle('b.pa-bundle.json.gz', blobOf(encodeBundle(payloadBundle())));
    expect(useAppStore.getState().files.map((f) => f.name)).toEqual(['demo-episodes.jsonl', 'mine.json', `${PAYLOADS.img}.jsonl`]);
    expect(examplesWithdrawn()).toBe(false);
  });
});

describe('a bundle larger than one message', () => {
  it('crosses in slices of BUNDLE_ENTRIES_PER_MESSAGE entries, restored in order with their scores', async () => {
    const bundle = payloadBundle();
    const template = bundle.entries[0];
    // Each copy's score names its own trajectory (a bundle refuses a score of another one).
    bundle.entries = Array.from({ length: 2 * BUNDLE_ENTRIES_PER_MESSAGE + 7 }, (_, n) => ({
      ...template,
      trajectory: { ...template.trajectory, id: `copy-${n}` },
      score: { ...template.score!, record: { ...template.score!.record, id: `copy-${n}` } },
    }));
    bundle.selected = null;
    slicesSent.count = 0;
    await importBundle('big.pa-bundle.json.gz', blobOf(encodeBundle(bundle)));
    expect(slicesSent.count).toBe(3);
    const app = useAppStore.getState();
    expect(app.trajectoryOrder.map((k) => app.trajectories[k].trajectory.id)).toEqual(bundle.entries.map((e) => e.trajectory.id));
    const results = useScoringStore.getState().results;
    const last = app.trajectoryOrder[app.trajectoryOrder.length - 1];
    expect(results[last]).toEqual({ key: last, ...JSON.parse(JSON.stringify(bundle.entries[bundle.entries.length - 1].score)), device: 'precomputed' });
  });
});

describe('exporting a bundle', () => {
  it('writes what import reads back: same trajectories, results and provenance', async () => {
    await importBundle('b.pa-bundle.json.gz', blobOf(encodeBundle(payloadBundle())));
    const keys = useAppStore.getState().trajectoryOrder;
    const collected = collectBundle(keys, new Date('2026-01-02T03:04:05Z'));
    expect(collected.createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(collected.app.name).toBe('progress-advantage');
    // β (the analysis setting at export) is listed with each pair.
    expect(collected.modelPairs).toEqual([{ policy: `policy ${PAYLOADS.svg}`, reference: `reference ${PAYLOADS.img}`, beta: 1 }]);
    expect(collected.entries.map((e) => e.trajectory)).toEqual(payloadBundle().entries.map((e) => JSON.parse(JSON.stringify(e.trajectory))));
    const before = useScoringStore.getState().results;
    const bytes = exportBundleBytes(keys);
    useAppStore.setState(initial.app, true);
    useScoringStore.setState(initial.scoring, true);
    await importBundle('again.pa-bundle.json.gz', blobOf(bytes));
    const after = useScoringStore.getState().results;
    const newKeys = useAppStore.getState().trajectoryOrder;
    expect(after[newKeys[0]].record).toEqual(before[keys[0]].record);
  });

  it('names the pair loaded now for figures computed here, the record’s own names for figures from a file', async () => {
    const record = { id: 'r', steps: [], policyModel: 'transformers.js/onnxruntime-web/wasm/fp32', referenceModel: 'transformers.js/onnxruntime-web/wasm/fp32' };
    const pairStatus = {
      device: { device: 'wasm', reason: 'test', adapter: null },
      policy: { id: 'policy-1', description: 'transformers.js/onnxruntime-web/wasm/fp32', maxContext: 512, vocabSize: 10, logitsPlacement: 'cpu' },
      reference: { id: 'reference-2', description: 'transformers.js/onnxruntime-web/wasm/fp32', maxContext: 512, vocabSize: 10, logitsPlacement: 'cpu' },
      tokenizerMismatch: null,
      tokenizerNotice: null,
      fallback: null,
    } as unknown as NonNullable<ReturnType<typeof useScoringStore.getState>['pairStatus']>;
    // Named by the folders' names (not the worker's ids), with the dtype the pair was loaded with (not the menu's now).
    const loadedPair = { key: 'pair:1', dtype: 'q8', label: 'folders my-policy / my-reference', models: { source: 'folders', policy: 'my-policy', reference: 'my-reference' } } as const;
    useScoringStore.setState({ pairStatus, loadedPair, dtype: 'fp16', render: 'chat' });
    const here = modelPairOfResult({ record, device: 'wasm' });
    expect(here).toEqual({ policy: 'my-policy', reference: 'my-reference', source: 'folders', dtype: 'q8', render: 'chat', engines: { policy: record.policyModel, reference: record.referenceModel } });
    expect(modelPairOfResult({ record, device: 'precomputed' })).toEqual({ policy: record.policyModel, reference: record.referenceModel });
    expect(modelPairOfResult({ record: { id: 'r', steps: [] }, device: 'precomputed' })).toBeNull();

    // Exported, the record names the pair by its ids; imported again, it keeps them (whatever is loaded then).
    const trajectory = payloadBundle().entries[1].trajectory;
    useAppStore.getState().addTrajectories(useAppStore.getState().beginFile('f.json', 1), [trajectory], []);
    const key = useAppStore.getState().trajectoryOrder[0];
    useScoringStore.setState({ results: { [key]: { key, record: { ...record, id: trajectory.id }, notScored: [], stepLevelOnly: false, tokens: 0, messageTokenCounts: [], forwardedTokens: 0, device: 'wasm' } } });
    const bundle = collectBundle([key]);
    expect(bundle.modelPairs).toEqual([{ ...here, beta: 1 }]);
    expect(bundle.entries[0].score?.record).toMatchObject({ policyModel: 'my-policy', referenceModel: 'my-reference', modelSource: 'folders', dtype: 'q8', render: 'chat' });
    useScoringStore.setState({ pairStatus: { ...pairStatus, policy: { ...pairStatus.policy, id: 'another' } } });
    await importBundle('again.pa-bundle.json.gz', new Blob([encodeBundle(bundle)]));
    const imported = useScoringStore.getState().results[useAppStore.getState().trajectoryOrder[1]];
    expect(describeModelPair(modelPairOfResult(imported))).toBe('policy my-policy · reference my-reference (dropped folders) · q8 · chat rendering');
    expect(describeModelPair(modelPairOfResult(imported), 0.5)).toBe('policy my-policy · reference my-reference (dropped folders) · q8 · chat rendering · β\u00a0=\u00a00.5');
  });

  it('names the model pair in words, or says the scores name none', () => {
    expect(describeModelPair({ policy: 'p', reference: 'r', dtype: 'q8', render: 'chat' })).toBe('policy p · reference r · q8 · chat rendering');
    expect(describeModelPair(null)).toBe('precomputed scores (the score file names no model pair)');
  });
});
