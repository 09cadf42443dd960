/**
 * Model pair and scoring jobs: zustand slices plus the actions that drive the scoring worker.
 * Per-token results are kept by trajectory key; views read them through selectors.
 */
import { create } from 'zustand';
import { Comlink, scoringWorker, type JobProgress, type LoadPairRequest, type LoadProgress, type ModelSource, type PairStatus, type ScoredTrajectory } from '../worker/scoringClient';
import type { DevicePreference, ModelDtype } from '../worker/device';
import type { RenderMode } from '../core/render/types';
import { useAppStore } from './store';

export type ModelChoice = { kind: 'demo' } | { kind: 'hub'; policy: string; reference: string } | { kind: 'folders'; policy: FolderPick | null; reference: FolderPick | null };

export interface FolderPick {
  name: string;
  /** Relative path inside the folder → file. */
  files: Map<string, File>;
}

export interface ModelSlice {
  choice: ModelChoice;
  dtype: ModelDtype;
  devicePreference: DevicePreference;
  render: RenderMode;
  modelState: 'idle' | 'loading' | 'ready' | 'error';
  pairStatus: PairStatus | null;
  loadProgress: Record<string, LoadProgress>;
  modelError: string | null;
}

export interface JobState {
  id: number;
  running: boolean;
  progress: JobProgress | null;
  cancelled: boolean;
  errors: { key: string; message: string }[];
}

export interface ScoringSlice {
  job: JobState | null;
  results: Record<string, ScoredTrajectory>;
}

export type ScoringState = ModelSlice & ScoringSlice;

/** The embedded demo pair, served from public/models/. */
export const DEMO_PAIR = { baseUrl: `${import.meta.env.BASE_URL}models/`, policy: 'demo-policy', reference: 'demo-reference' } as const;

export const useScoringStore = create<ScoringState>()(() => ({
  choice: { kind: 'demo' },
  dtype: 'fp32',
  devicePreference: 'auto',
  render: 'plain',
  modelState: 'idle',
  pairStatus: null,
  loadProgress: {},
  modelError: null,
  job: null,
  results: {},
}));

export function setModelOptions(patch: Partial<Pick<ModelSlice, 'choice' | 'dtype' | 'devicePreference' | 'render'>>): void {
  useScoringStore.setState(patch);
}

async function sourcesFor(choice: ModelChoice): Promise<{ policy: ModelSource; reference: ModelSource }> {
  switch (choice.kind) {
    case 'demo':
      return {
        policy: { kind: 'served', baseUrl: DEMO_PAIR.baseUrl, id: DEMO_PAIR.policy },
        reference: { kind: 'served', baseUrl: DEMO_PAIR.baseUrl, id: DEMO_PAIR.reference },
      };
    case 'hub':
      return { policy: { kind: 'hub', id: choice.policy }, reference: { kind: 'hub', id: choice.reference } };
    case 'folders': {
      if (!choice.policy || !choice.reference) throw new Error('choose both a policy folder and a reference folder');
      const worker = scoringWorker();
      const register = (pick: FolderPick) => worker.registerFolder(pick.name, new Map<string, Blob>(pick.files));
      return { policy: { kind: 'dropped', id: await register(choice.policy) }, reference: { kind: 'dropped', id: await register(choice.reference) } };
    }
  }
}

/**
 * `?inject-webgpu-failure=load|run` in the page URL makes the next WebGPU load or forward pass fail
 * as a lost device would: how the tests (and a curious user) see the WASM fallback at work.
 */
function injectedFailureFromUrl(): Pick<LoadPairRequest, 'injectWebGpuFailure'> {
  const value = new URLSearchParams(globalThis.location?.search ?? '').get('inject-webgpu-failure');
  return value === 'load' || value === 'run' ? { injectWebGpuFailure: value } : {};
}

/** Loads the chosen pair in the worker. `injectWebGpuFailure` is a testing aid (see LoadPairRequest). */
export async function loadModelPair(extra: Pick<LoadPairRequest, 'injectWebGpuFailure'> = injectedFailureFromUrl()): Promise<void> {
  const { choice, dtype, devicePreference } = useScoringStore.getState();
  useScoringStore.setState({ modelState: 'loading', modelError: null, loadProgress: {}, pairStatus: null });
  try {
    const sources = await sourcesFor(choice);
    const status = await scoringWorker().loadPair(
      { ...sources, dtype, device: devicePreference, ...extra },
      Comlink.proxy((p: LoadProgress) => useScoringStore.setState((s) => ({ loadProgress: { ...s.loadProgress, [`${p.model}:${p.file}`]: p } }))),
    );
    useScoringStore.setState({ modelState: 'ready', pairStatus: status, results: {} });
  } catch (error) {
    useScoringStore.setState({ modelState: 'error', modelError: error instanceof Error ? error.message : String(error) });
  }
}

/** Scores the given trajectories (all loaded ones by default); results arrive one by one. */
export async function scoreTrajectories(keys: readonly string[] = useAppStore.getState().trajectoryOrder): Promise<void> {
  const { modelState, render, job } = useScoringStore.getState();
  if (modelState !== 'ready' || job?.running) return;
  const worker = scoringWorker();
  const id = await worker.newJobId();
  const trajectories = useAppStore.getState().trajectories;
  const items = keys.filter((k) => trajectories[k]).map((key) => ({ key, trajectory: trajectories[key].trajectory }));
  useScoringStore.setState({ job: { id, running: true, progress: null, cancelled: false, errors: [] } });
  const patchJob = (patch: Partial<JobState>) => useScoringStore.setState((s) => (s.job?.id === id ? { job: { ...s.job, ...patch } } : s));
  try {
    const outcome = await worker.score(
      id,
      items,
      render,
      Comlink.proxy({
        onProgress: (progress: JobProgress) => patchJob({ progress }),
        onResult: (result: ScoredTrajectory) => useScoringStore.setState((s) => ({ results: { ...s.results, [result.key]: result } })),
        onError: (key: string, message: string) =>
          useScoringStore.setState((s) => (s.job?.id === id ? { job: { ...s.job, errors: [...s.job.errors, { key, message }] } } : s)),
        onFallback: (status: PairStatus) => useScoringStore.setState({ pairStatus: status }),
      }),
    );
    patchJob({ running: false, cancelled: outcome.cancelled });
  } catch (error) {
    patchJob({ running: false, errors: [...(useScoringStore.getState().job?.errors ?? []), { key: '', message: error instanceof Error ? error.message : String(error) }] });
  }
}

export async function cancelScoring(): Promise<void> {
  const job = useScoringStore.getState().job;
  if (job?.running) await scoringWorker().cancel(job.id);
}
