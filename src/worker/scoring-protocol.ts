/**
 * What the page and the scoring worker say to each other: the requests, the pair's status and the
 * job callbacks. The records themselves (ScoredTrajectory, JobProgress, …) are core's
 * (src/core/scoring/records.ts).
 */
import type { HubLocation } from '../core/engine/model-location';
import type { ServerKind } from '../core/engine/server';
import type { JobProgress, LoadProgress, PairDescription, ScoredTrajectory, TrajectoryToScore } from '../core/scoring';
import type { RenderMode } from '../core/render/types';
import type { ContextPolicy } from '../core/scoring/context-policy';
import type { PackedRecordOf } from '../core/scores/packed';
import type { DeviceChoice, DevicePreference, ModelDtype } from './device';

export type { JobProgress, LoadProgress, LoadedModelInfo, ScoredTrajectory, TrajectoryToScore } from '../core/scoring';

/** Where a model's files come from: a folder the app serves (the demo pair), a dropped folder, or the hub. */
export type ModelFilesSource =
  | { kind: 'served'; baseUrl: string; id: string }
  | { kind: 'dropped'; id: string }
  /** `hub`: where the hub is (absent: huggingface.co); the page sets it from the build (state/hub.ts). */
  | { kind: 'hub'; id: string; hub?: HubLocation };

/**
 * A model served by vLLM or SGLang (src/core/engine/server): its base URL and served model name;
 * its tokenizer is read from files (a hub id or a dropped folder) or, `null`, is the server's own
 * /tokenize and /detokenize (ServerTokenizer); trajectories are sent as token ids. The page makes the HTTP requests (src/worker/page-fetch.ts), under its own
 * Content-Security-Policy.
 */
export interface ServerModelSource {
  kind: 'server';
  engine: ServerKind;
  url: string;
  model: string;
  tokenizer: ModelFilesSource | null;
}

/** Where a model comes from: files the worker runs, or a server. */
export type ModelSource = ModelFilesSource | ServerModelSource;

export interface LoadPairRequest {
  policy: ModelSource;
  reference: ModelSource;
  dtype: ModelDtype;
  device: DevicePreference;
  /** Testing aid: make the next WebGPU load or forward pass fail as a lost device would. */
  injectWebGpuFailure?: 'load' | 'run';
  /** Score with the merged reference π_ref + α·(π_θ − π_ref) (worker/merged-reference.ts); absent or null: the reference itself. */
  referenceMerge?: number | null;
}

export interface PairStatus extends PairDescription {
  device: DeviceChoice;
  /** Set when WebGPU failed and the pair now runs on WASM. */
  fallback: string | null;
}

/** A result as it crosses to the page: the record packed, its buffers transferred (see core/scores/packed.ts). */
export type PackedScoredTrajectory = PackedRecordOf<ScoredTrajectory>;

/** Job callbacks as the service calls them (plain results). */
export interface ScoringJobCallbacks {
  onProgress?(progress: JobProgress): void;
  onResult?(result: ScoredTrajectory): void;
  onError?(key: string, message: string): void;
  onFallback?(status: PairStatus): void;
}

/**
 * The scoring worker as the page uses it. scoring-client.ts implements it over the worker
 * (Comlink inside); scoring-service.ts is the implementation the worker runs, usable in-process.
 */
export interface ScoringClient {
  registerFolder(name: string, files: Map<string, Blob>): Promise<string>;
  loadPair(request: LoadPairRequest, onProgress?: (progress: LoadProgress) => void): Promise<PairStatus>;
  status(): Promise<PairStatus | null>;
  unload(): Promise<void>;
  newJobId(): Promise<number>;
  cancel(jobId: number): Promise<void>;
  /** `context`: what is scored of a trajectory longer than the context (absent: `fit`). */
  score(jobId: number, items: TrajectoryToScore[], render: RenderMode, callbacks: ScoringJobCallbacks, context?: ContextPolicy): Promise<{ cancelled: boolean }>;
}
