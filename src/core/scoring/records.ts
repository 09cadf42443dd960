/**
 * What the scoring path produces and reports, shared by the scoring worker, the page (state and
 * IndexedDB), bundles and the CLI: a scored trajectory, job progress, and the loaded pair's description.
 */
import type { NotScoredStep } from '../engine/pair';
import type { ScoreRecord } from '../scores/format';
import type { Trajectory } from '../trajectory/types';

/** Where figures were computed: a device of the in-browser engine, the CPU (Node), or a file that carried them. */
export type ScoringDevice = 'webgpu' | 'wasm' | 'cpu' | 'precomputed';

export interface TrajectoryToScore {
  key: string;
  trajectory: Trajectory;
}

/** Token counts of one step in each model's tokenization (step-level scores only). */
export interface StepTokenCount {
  message: number;
  policy: number;
  reference: number;
}

export interface ScoredTrajectory {
  key: string;
  record: ScoreRecord;
  notScored: NotScoredStep[];
  /** True when the models' tokenizers differ: steps hold one summed log-likelihood each. */
  stepLevelOnly: boolean;
  /** Step-level scores: the step's token count in each tokenization. */
  stepTokenCounts?: StepTokenCount[];
  /** Tokens in the rendered sequence. */
  tokens: number;
  /** Rendered tokens of each message (context messages too), for folded views that say how many are hidden. */
  messageTokenCounts: number[];
  /** Tokens run through the two models (nothing after the last scored token is run). */
  forwardedTokens: number;
  /** Where the figures came from. */
  device: ScoringDevice;
}

export interface JobProgress {
  trajectoriesDone: number;
  trajectoriesTotal: number;
  /** Tokens of the job's rendered trajectories: the total is fixed when the job starts; done counts up to it. */
  tokensDone: number;
  tokensTotal: number;
  elapsedMs: number;
}

/** One loaded model, as the model panel, the score cache's pair identity and the CLI describe it. */
export interface LoadedModelInfo {
  id: string;
  description: string;
  maxContext: number;
  vocabSize: number;
  /** The tokenizer's vocabulary fingerprint (ids, tokens, special tokens): part of the score cache's pair identity. */
  vocabularyFingerprint: string;
  /** `device`: logits never leave the GPU (reduced there); `cpu`: computed on the CPU (WASM). */
  logitsPlacement: 'device' | 'cpu';
  /** `model-graph`: reduced inside the model's own graph (12 bytes per token leave the runtime); `separate-session`: in a second session. */
  reductionPlacement: 'model-graph' | 'separate-session';
  /** `append-only`: each chunk's new cache rows are appended in place; `present-outputs`: the whole cache is handed back per chunk (on the GPU for WebGPU). */
  kvCacheMode: 'append-only' | 'present-outputs';
  /** `scored-only`: the LM head computes the logits of scored tokens only; `every-position`: of every token forwarded. */
  logitRows: 'scored-only' | 'every-position';
}

/** A loaded pair: both models and how their tokenizers pair. */
export interface PairDescription {
  policy: LoadedModelInfo;
  reference: LoadedModelInfo;
  /** null when the tokenizers match (token-level scores); else why only step-level scores exist. */
  tokenizerMismatch: string | null;
  /** Token-level scores with a caveat (same vocabulary, different special-token roles), else null. */
  tokenizerNotice: string | null;
}

export interface LoadProgress {
  model: 'policy' | 'reference';
  file: string;
  loaded: number;
  total: number;
}
