/**
 * What the scoring path produces and reports, shared by the scoring worker, the page (state and
 * IndexedDB), bundles and the CLI: a scored trajectory, job progress, and the loaded pair's description.
 */
import type { NotScoredStep } from '../engine/pair';
import type { EngineFallback } from '../engine/types';
import type { ScoreRecord } from '../scores/format';
import type { Trajectory } from '../trajectory/types';

/** Where figures were computed: a device of the in-browser engine, the CPU (Node), or a file that carried them. */
export type ScoringDevice = 'webgpu' | 'wasm' | 'cpu' | 'server' | 'precomputed';

export type { EngineFallback } from '../engine/types';

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

/**
 * How one model ran (docs/score.md, "What ran"): the CLI prints it (text and `--json`), each score
 * record carries it as `execution.policy` / `execution.reference`, and the model panel shows it.
 */
export interface ModelExecution {
  /** The engine in one line, e.g. `transformers.js/onnxruntime-node/cpu/fp32`. */
  description: string;
  /** Where it ran: `cpu` (onnxruntime-node), `wasm` or `webgpu` (onnxruntime-web). */
  device: 'webgpu' | 'wasm' | 'cpu' | 'server';
  /** Which ONNX file ran (fp32, fp16, q8, q4, q4f16). */
  dtype: string;
  /** `device`: logits never leave the GPU (reduced there); `cpu`: computed on the CPU (WASM, onnxruntime-node). */
  logitsPlacement: 'device' | 'cpu';
  /** `model-graph`: reduced inside the model's own graph (12 bytes per token leave the runtime); `separate-session`: in a second session. */
  reductionPlacement: 'model-graph' | 'separate-session';
  /** `append-only`: each chunk's new cache rows are appended in place; `present-outputs`: the whole cache is handed back per chunk (on the GPU for WebGPU). */
  kvCacheMode: 'append-only' | 'present-outputs';
  /** `scored-only`: the LM head computes the logits of scored tokens only; `every-position`: of every token forwarded. */
  logitRows: 'scored-only' | 'every-position';
  /** Tokens per forward pass at the requested (or default) chunk size, after the engine's memory budgets. */
  chunkSize: number;
  /** Every departure from the fastest way to run, with its reason; empty when none. */
  fallbacks: EngineFallback[];
}

/** One loaded model, as the model panel, the score cache's pair identity and the CLI describe it. */
export interface LoadedModelInfo extends ModelExecution {
  id: string;
  maxContext: number;
  vocabSize: number;
  /** The tokenizer's vocabulary fingerprint (ids, tokens, special tokens): part of the score cache's pair identity. */
  vocabularyFingerprint: string;
}

/** The ModelExecution fields of a loaded model's description (what a score record carries). */
export function executionOf(info: ModelExecution): ModelExecution {
  return {
    description: info.description,
    device: info.device,
    dtype: info.dtype,
    logitsPlacement: info.logitsPlacement,
    reductionPlacement: info.reductionPlacement,
    kvCacheMode: info.kvCacheMode,
    logitRows: info.logitRows,
    chunkSize: info.chunkSize,
    fallbacks: info.fallbacks.map((fallback) => ({ kind: fallback.kind, reason: fallback.reason })),
  };
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
