/**
 * Model pair and scoring jobs: zustand slices plus the actions that drive the scoring worker.
 * Per-token results are kept by trajectory key; views read them through selectors.
 *
 * Scores are cached by (pair, dtype, render mode, trajectory content): a job first takes what
 * the cache already holds and sends only the misses to the worker. A job is saved when it starts
 * (state/persistence) so that one cut short by a reload can be resumed.
 */
import { z } from 'zod';
import { create } from 'zustand';
import { scoringClient, type JobProgress, type LoadPairRequest, type LoadProgress, type PairStatus, type ScoredTrajectory } from '../worker/scoring-client';
import { mergedReferenceLabel } from '../core/onnx/merge-label';
import { DEFAULT_MODEL_SETTINGS, modelSettingsSchema, type DevicePreference, type ModelDtype, type RenderMode, type SavedModelChoice } from '../core/settings';
import { persist } from './persisted';
import { useAppStore } from './store';
import { contentHashesOf } from './persistence/content-hash';
import { modelIdentity, pairKeyOf, scoreCacheKey } from './persistence/pair-identity';
import { lookupCachedScores } from './persistence/score-cache';
import { keysLeftInJob, type JobRecord } from './persistence/data-records';
import { pairDescriptionOf, recordWithProvenance, type PairModels } from './model-pair';
import { FIT_CONTEXT, executionOf, type ContextPolicy } from '../core/scoring';
import { canLoadChoice, injectedFailureFromUrl, savedServerChoice, serverChoiceOf, sourcesFor, type ModelChoice } from './model-sources';
import { JobArrivals, type JobArrival as JobArrivalOf } from './update-batcher';

export { DEMO_PAIR, canLoadChoice, type FolderPick, type ModelChoice } from './model-sources';

/** The pair now loaded in the worker, as the score cache names it. */
export interface LoadedPair {
  /** `pair:<hash>` of the two models' sources and tokenizers (see persistence/pair-identity). */
  key: string;
  dtype: ModelDtype;
  /** `policy / reference`, for messages. */
  label: string;
  /** The models by name (hub ids, folder names, the demo pair and its build): what exports name. */
  models: PairModels;
  /** The merged reference's α it was loaded with (null: the reference itself). */
  referenceMerge?: number | null;
}

export interface ModelSlice {
  choice: ModelChoice;
  /** Folder names of a restored session's dropped folders (files are not kept): the UI asks for them again. */
  rememberedFolders: { policy: string | null; reference: string | null } | null;
  dtype: ModelDtype;
  devicePreference: DevicePreference;
  render: RenderMode;
  /** The merged reference's α for the next load (ONNX pairs only), or null: the reference itself. */
  referenceMerge: number | null;
  modelState: 'idle' | 'loading' | 'ready' | 'error';
  pairStatus: PairStatus | null;
  loadedPair: LoadedPair | null;
  loadProgress: Record<string, LoadProgress>;
  modelError: string | null;
  /**
   * The first visit's demo loading or scoring by itself (state/first-visit.ts); null otherwise.
   * Any change the user makes to the models or files supersedes it (`supersedeAutoDemo`).
   */
  autoDemo: 'loading' | 'scoring' | null;
}

export interface JobState {
  id: number;
  running: boolean;
  progress: JobProgress | null;
  cancelled: boolean;
  /** Trajectories whose scores came from the cache instead of the worker. */
  reused: number;
  errors: { key: string; message: string }[];
}

export interface ScoringSlice {
  job: JobState | null;
  results: Record<string, ScoredTrajectory>;
  /** The score-cache key of each result computed by a model pair (precomputed results have none). */
  resultCacheKeys: Record<string, string>;
  /** `pairKey|dtype` of the pair the results came from: loading another pair clears them. */
  resultsPairKey: string | null;
  /** The saved record of the running job, or of one that was interrupted (then `job` is not running). */
  pendingJob: JobRecord | null;
}

export type ScoringState = ModelSlice & ScoringSlice;

export const INITIAL_SCORING_STATE: ScoringState = {
  // The model settings' defaults are declared in src/core/settings (model.ts).
  ...modelChoiceOf(DEFAULT_MODEL_SETTINGS.choice),
  dtype: DEFAULT_MODEL_SETTINGS.dtype,
  devicePreference: DEFAULT_MODEL_SETTINGS.devicePreference,
  render: DEFAULT_MODEL_SETTINGS.render,
  referenceMerge: DEFAULT_MODEL_SETTINGS.referenceMerge,
  modelState: 'idle',
  pairStatus: null,
  loadedPair: null,
  loadProgress: {},
  modelError: null,
  autoDemo: null,
  job: null,
  results: {},
  resultCacheKeys: {},
  resultsPairKey: null,
  pendingJob: null,
};

export const useScoringStore = create<ScoringState>()(() => INITIAL_SCORING_STATE);

/** The model choice without dropped files (they are not kept): folder names, so the UI can ask for them again. */
export type PersistedModelChoice = SavedModelChoice;

export function persistedModelChoice(choice: ModelChoice, remembered: { policy: string | null; reference: string | null } | null): PersistedModelChoice {
  switch (choice.kind) {
    case 'demo':
      return { kind: 'demo' };
    case 'hub':
      return { kind: 'hub', policy: choice.policy, reference: choice.reference };
    case 'folders':
      return { kind: 'folders', policy: choice.policy?.name ?? remembered?.policy ?? null, reference: choice.reference?.name ?? remembered?.reference ?? null };
    case 'server':
      return savedServerChoice(choice);
  }
}

function modelChoiceOf(saved: PersistedModelChoice): Pick<ModelSlice, 'choice' | 'rememberedFolders'> {
  if (saved.kind === 'server') return { choice: serverChoiceOf(saved), rememberedFolders: null };
  if (saved.kind !== 'folders') return { choice: saved, rememberedFolders: null };
  // Dropped folders are not kept: the folder names let the page ask for them again.
  return { choice: { kind: 'folders', policy: null, reference: null }, rememberedFolders: { policy: saved.policy, reference: saved.reference } };
}

/**
 * What the session keeps of this store (its scores and jobs are records of their own, see
 * state/persistence): the model panel's settings under `model`, and which pair the results came from.
 */
export const modelPersistence = persist({
  store: useScoringStore,
  /** `resultsPairKey`: `pairKey|dtype` of the pair that produced the results (null: none, or precomputed only). */
  /** `pairLoaded`: the pair was loaded when the session was saved (a reload loads it again where it can: demo, hub). */
  fields: { model: modelSettingsSchema, resultsPairKey: z.string().nullable(), pairLoaded: z.boolean().default(false) },
  watch: ['choice', 'rememberedFolders', 'dtype', 'devicePreference', 'render', 'referenceMerge', 'resultsPairKey', 'modelState'],
  live: (s: ScoringState) => ({
    model: { choice: s.choice, rememberedFolders: s.rememberedFolders, dtype: s.dtype, devicePreference: s.devicePreference, render: s.render, referenceMerge: s.referenceMerge },
    resultsPairKey: s.resultsPairKey,
    pairLoaded: s.modelState === 'ready',
  }),
  save: ({ model: { choice, rememberedFolders, ...settings }, resultsPairKey, pairLoaded }) => ({ model: { choice: persistedModelChoice(choice, rememberedFolders), ...settings }, resultsPairKey, pairLoaded }),
  restore: ({ model: { choice, ...settings }, resultsPairKey, pairLoaded }) => {
    restoredPairWasLoaded = pairLoaded;
    return { ...modelChoiceOf(choice), ...settings, resultsPairKey };
  },
});

/** Whether the restored session had its pair loaded (read once by `reloadRestoredPair`). */
let restoredPairWasLoaded = false;

/**
 * After a reload: the pair the session had loaded is loaded again when the page can do it alone
 * (the demo pair, hub ids); dropped folders are asked for again instead (the session panel says so).
 * The user's own change to the models supersedes it, as it does the first visit's demo.
 */
export async function reloadRestoredPair(): Promise<void> {
  const wasLoaded = restoredPairWasLoaded;
  restoredPairWasLoaded = false;
  const { choice, modelState } = useScoringStore.getState();
  if (!wasLoaded || choice.kind === 'folders' || !canLoadChoice(choice) || modelState !== 'idle') return;
  useScoringStore.setState({ autoDemo: 'loading' });
  await loadModelPair(undefined, 'auto');
  useScoringStore.setState((s) => (s.autoDemo === 'loading' ? { autoDemo: null } : s));
}

export function setModelOptions(patch: Partial<Pick<ModelSlice, 'choice' | 'dtype' | 'devicePreference' | 'render' | 'referenceMerge'>>): void {
  // The user's own choice: the first visit's demo stops where it is.
  supersedeAutoDemo();
  useScoringStore.setState(patch);
}

/** Each load takes a number: the page keeps only the outcome of the latest (see `supersedeAutoDemo`). */
let loadGeneration = 0;

/**
 * Stops the first visit's demo (state/first-visit.ts) when the user does something of their own:
 * a load in progress is dropped (the worker disposes what it loaded), a scoring job is cancelled
 * (what it scored stays). Does nothing when the demo is not running.
 */
export function supersedeAutoDemo(): void {
  const { autoDemo, modelState } = useScoringStore.getState();
  if (autoDemo === null) return;
  useScoringStore.setState({ autoDemo: null });
  if (autoDemo === 'loading' && modelState === 'loading') {
    loadGeneration++;
    useScoringStore.setState({ modelState: 'idle', loadProgress: {}, modelError: null });
    void scoringClient().unload();
  }
  if (autoDemo === 'scoring') void cancelScoring();
}

/** Results that do not depend on a model pair: figures a score file carried. */
function precomputedOnly(results: Record<string, ScoredTrajectory>): Record<string, ScoredTrajectory> {
  return Object.fromEntries(Object.entries(results).filter(([, r]) => r.device === 'precomputed'));
}

/**
 * Loads the chosen pair in the worker. `injectWebGpuFailure` is a testing aid (see LoadPairRequest).
 * Results of another pair are cleared; an interrupted job of this same pair resumes by itself.
 */
export async function loadModelPair(extra: Pick<LoadPairRequest, 'injectWebGpuFailure'> = injectedFailureFromUrl(), by: 'user' | 'auto' = 'user'): Promise<void> {
  // The user's own load supersedes the first visit's demo (its load, or its job on the pair this one replaces).
  if (by === 'user') supersedeAutoDemo();
  const generation = ++loadGeneration;
  const current = () => generation === loadGeneration;
  const { choice, dtype, devicePreference } = useScoringStore.getState();
  // A merged reference is made of two ONNX models' weights: a served pair has none here.
  const referenceMerge = choice.kind === 'server' ? null : useScoringStore.getState().referenceMerge;
  useScoringStore.setState({ modelState: 'loading', modelError: null, loadProgress: {}, pairStatus: null, loadedPair: null });
  try {
    const sources = await sourcesFor(choice);
    const status = await scoringClient().loadPair({ policy: sources.policy, reference: sources.reference, dtype, device: devicePreference, referenceMerge, ...extra }, (p: LoadProgress) => {
      if (current()) useScoringStore.setState((s) => ({ loadProgress: { ...s.loadProgress, [`${p.model}:${p.file}`]: p } }));
    });
    // Overtaken by a later load (or dropped): that one's outcome is the page's.
    if (!current()) return;
    // A merged reference is another reference: its scores are cached apart, its records name it.
    const pairKey = pairKeyOf(modelIdentity(sources.identity.policy, status.policy), modelIdentity(sources.identity.reference, status.reference));
    const key = referenceMerge === null ? pairKey : `${pairKey}|merge${referenceMerge}`;
    const models = referenceMerge === null ? sources.models : { ...sources.models, reference: mergedReferenceLabel(sources.models.reference, sources.models.policy, referenceMerge) };
    const loadedPair: LoadedPair = { key, dtype, label: referenceMerge === null ? sources.label : `${sources.label} (reference merged, α = ${referenceMerge})`, models, referenceMerge };
    useScoringStore.setState((s) => {
      const samePair = s.resultsPairKey === `${key}|${dtype}`;
      return {
        modelState: 'ready',
        pairStatus: status,
        loadedPair,
        rememberedFolders: null,
        results: samePair ? s.results : precomputedOnly(s.results),
        resultCacheKeys: samePair ? s.resultCacheKeys : {},
        resultsPairKey: samePair ? s.resultsPairKey : null,
      };
    });
    const { pendingJob, job } = useScoringStore.getState();
    if (pendingJob && !job?.running && pendingJob.pairKey === key && pendingJob.dtype === dtype) void resumeInterruptedJob();
  } catch (error) {
    if (current()) useScoringStore.setState({ modelState: 'error', modelError: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * The context policy jobs score with: the analysis settings' (fit, or the reference code's left
 * truncation for parity). state/analysis.ts registers it; it imports this module, so this one
 * cannot import it back.
 */
let contextPolicySource: () => ContextPolicy = () => FIT_CONTEXT;
export function scoreWithContextPolicyOf(source: () => ContextPolicy): void {
  contextPolicySource = source;
}

/**
 * Scores the given trajectories (all loaded ones by default); results arrive one by one. Scores
 * the cache holds for this pair, dtype and render mode are taken from it; only the rest is run.
 */
export async function scoreTrajectories(keys: readonly string[] = useAppStore.getState().trajectoryOrder, render: RenderMode = useScoringStore.getState().render): Promise<void> {
  const { modelState, job, loadedPair } = useScoringStore.getState();
  if (modelState !== 'ready' || !loadedPair || job?.running) return;
  const worker = scoringClient();
  const id = await worker.newJobId();
  const trajectories = useAppStore.getState().trajectories;
  const items = keys.filter((k) => trajectories[k]).map((key) => ({ key, trajectory: trajectories[key].trajectory }));
  useScoringStore.setState({ job: { id, running: true, progress: null, cancelled: false, reused: 0, errors: [] } });
  const patchJob = (patch: Partial<JobState>) => useScoringStore.setState((s) => (s.job?.id === id ? { job: { ...s.job, ...patch } } : s));
  const pairResultsKey = `${loadedPair.key}|${loadedPair.dtype}`;
  const context = contextPolicySource();
  try {
    const hashes = await contentHashesOf(items.map((item) => item.trajectory));
    const cacheKeyOf = new Map(items.map((item, i) => [item.key, scoreCacheKey(loadedPair.key, loadedPair.dtype, render, hashes[i], context)] as const));
    const cached = await lookupCachedScores([...new Set(cacheKeyOf.values())]);
    const reused: Record<string, ScoredTrajectory> = {};
    const misses = items.filter((item) => {
      const hit = cached.get(cacheKeyOf.get(item.key)!);
      if (hit) reused[item.key] = named({ ...hit, key: item.key }, loadedPair, render);
      return !hit;
    });
    // The session may have been cleared (or the pair changed) while the cache was read: then this job is over.
    if (useScoringStore.getState().job?.id !== id || useScoringStore.getState().loadedPair?.key !== loadedPair.key) {
      patchJob({ running: false, cancelled: true });
      return;
    }
    useScoringStore.setState((s) => ({
      results: { ...s.results, ...reused },
      resultCacheKeys: { ...s.resultCacheKeys, ...Object.fromEntries(Object.keys(reused).map((k) => [k, cacheKeyOf.get(k)!])) },
      resultsPairKey: pairResultsKey,
      job: { ...s.job!, reused: Object.keys(reused).length },
      // Saved at once (state/persistence): if the page goes away now, these are what a resume runs.
      pendingJob:
        misses.length > 0
          ? { pairKey: loadedPair.key, pairLabel: loadedPair.label, dtype: loadedPair.dtype, render, keys: misses.map((m) => m.key), failedKeys: [], startedAt: Date.now() }
          : null,
    }));
    if (misses.length === 0) {
      patchJob({ running: false, progress: { trajectoriesDone: 0, trajectoriesTotal: 0, tokensDone: 0, tokensTotal: 0, elapsedMs: 0 } });
      return;
    }
    // Results, progress and errors are applied in batches (state/update-batcher.ts): one store update per
    // result made a big job quadratic and left the session writer no time to save anything until the end.
    const arrivals = new JobArrivals<ScoredTrajectory, JobProgress>(misses.length, (batch) =>
      useScoringStore.setState((s) => (s.job?.id === id ? jobPatchOf(s, batch, (r) => named(r, loadedPair, render), cacheKeyOf) : s)),
    );
    let outcome: { cancelled: boolean };
    try {
      outcome = await worker.score(id, misses, render, {
        onProgress: (progress: JobProgress) => arrivals.progress(progress),
        // A result of a job that is no longer current (the session was cleared meanwhile) is dropped.
        onResult: (result: ScoredTrajectory) => arrivals.result(result),
        onError: (key: string, message: string) => arrivals.error(key, message),
        onFallback: (status: PairStatus) => useScoringStore.setState({ pairStatus: status }),
      }, context);
    } finally {
      arrivals.flush();
    }
    // The job's end can overtake its last results: the job is over (and its saved record goes) once they are in.
    if (!outcome.cancelled) await arrivals.settled();
    // Finished or cancelled by the user: nothing to resume.
    useScoringStore.setState((s) => (s.job?.id === id ? { job: { ...s.job, running: false, cancelled: outcome.cancelled }, pendingJob: null } : s));
  } catch (error) {
    // The pending job stays: what it did not finish can be resumed.
    patchJob({ running: false, errors: [...(useScoringStore.getState().job?.errors ?? []), { key: '', message: error instanceof Error ? error.message : String(error) }] });
  }
}

/** The result with its pair's names written into its record (state/model-pair.ts): they travel with it to the score cache, the session and exports. */
function named(result: ScoredTrajectory, pair: LoadedPair, render: RenderMode): ScoredTrajectory {
  const status = useScoringStore.getState().pairStatus;
  const engines = status ? { policy: status.policy.description, reference: status.reference.description } : undefined;
  const execution = status ? { policy: executionOf(status.policy), reference: executionOf(status.reference) } : undefined;
  return { ...result, record: recordWithProvenance(result.record, pairDescriptionOf(pair.models, pair.dtype, render, engines), execution, pair.models.server) };
}

type JobArrival = JobArrivalOf<ScoredTrajectory, JobProgress>;

/** One store patch for a batch of a job's arrivals, in the order they came. */
function jobPatchOf(s: ScoringState, batch: readonly JobArrival[], name: (result: ScoredTrajectory) => ScoredTrajectory, cacheKeyOf: ReadonlyMap<string, string>): Partial<ScoringState> {
  const results = { ...s.results };
  const resultCacheKeys = { ...s.resultCacheKeys };
  const job = { ...s.job!, errors: [...s.job!.errors] };
  const failedKeys: string[] = [];
  for (const arrival of batch) {
    if ('progress' in arrival) job.progress = arrival.progress;
    else if ('result' in arrival) {
      results[arrival.result.key] = name(arrival.result);
      resultCacheKeys[arrival.result.key] = cacheKeyOf.get(arrival.result.key)!;
    } else {
      job.errors.push(arrival.error);
      failedKeys.push(arrival.error.key);
    }
  }
  const pendingJob = s.pendingJob && failedKeys.length > 0 ? { ...s.pendingJob, failedKeys: s.pendingJob.failedKeys.concat(failedKeys) } : s.pendingJob;
  return { results, resultCacheKeys, job, pendingJob };
}

/** The trajectories an interrupted job still has to score (empty when none is interrupted). */
export function interruptedJobLeft(state: Pick<ScoringState, 'pendingJob' | 'job' | 'results'>, trajectories: Readonly<Record<string, unknown>>): string[] {
  if (!state.pendingJob || state.job?.running) return [];
  return keysLeftInJob(state.pendingJob, state.results, trajectories);
}

/**
 * Continues an interrupted job: at once when its pair is loaded; otherwise loads the chosen pair
 * first (the job resumes when it turns out to be the same pair). Dropped folders must be picked again.
 */
export async function resumeInterruptedJob(): Promise<void> {
  const s = useScoringStore.getState();
  const job = s.pendingJob;
  if (!job || s.job?.running) return;
  const left = keysLeftInJob(job, s.results, useAppStore.getState().trajectories);
  if (left.length === 0) {
    useScoringStore.setState({ pendingJob: null });
    return;
  }
  if (s.modelState === 'ready' && s.loadedPair?.key === job.pairKey && s.loadedPair.dtype === job.dtype) {
    await scoreTrajectories(left, job.render);
    return;
  }
  if (s.modelState !== 'loading' && canLoadChoice(s.choice)) {
    useScoringStore.setState({ dtype: job.dtype });
    await loadModelPair();
  }
}

/** Forgets an interrupted job (its finished scores stay). */
export function dismissInterruptedJob(): void {
  if (!useScoringStore.getState().job?.running) useScoringStore.setState({ pendingJob: null });
}


export async function cancelScoring(): Promise<void> {
  const job = useScoringStore.getState().job;
  if (job?.running) await scoringClient().cancel(job.id);
}
