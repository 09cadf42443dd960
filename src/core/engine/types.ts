/**
 * The scoring engine's contract (docs/architecture.md §5): every backend — transformers.js in Node
 * (onnxruntime-node), transformers.js in a browser worker (WebGPU / WASM), precomputed log-probs
 * read from a file — turns token ids into a few floats per scored token. Never vocabulary rows.
 */

/** Token positions [start, end) of one sequence whose tokens are scored (start ≥ 1: token t is predicted from tokens < t). */
export interface TokenRange {
  start: number;
  end: number;
}

/** The reference code's self-certainty proxy averages this many top log-probs (`TokenFigures.topkMean`). */
export const TOP_K = 20;

/** Figures for the tokens of one range, in order (index i ↔ token position range.start + i). */
export interface TokenFigures {
  /** log π(token_t | tokens_<t), natural log. */
  logprob: Float32Array;
  /** Entropy (nats) of the next-token distribution that predicted token_t. */
  entropy: Float32Array;
  /** Mean of the top-20 log-probs of that distribution (the reference code's self-certainty proxy). */
  topkMean: Float32Array;
}

export interface ScoreProgress {
  /** Tokens forwarded through the model so far in this call. */
  tokensDone: number;
  tokensTotal: number;
}

export interface ScoreOptions {
  /** Tokens per forward pass; the KV cache carries context across chunks. */
  chunkSize?: number;
  onProgress?(progress: ScoreProgress): void;
  signal?: AbortSignal;
  /**
   * Start from the longest token prefix this sequence shares with the previous one scored with
   * `reusePrefix` (its KV cache, and its figures for positions scored in both), and keep this
   * sequence's cache for the next. Best-of-N trajectories of one task share the system prompt and
   * the policy text: only their own tokens go through the model. The kept cache holds memory until
   * `releasePrefixCache()` (or the next call without a shared prefix replaces it).
   */
  reusePrefix?: boolean;
}

/** One token sequence and the ranges of it to score (`LogprobEngine.score`'s arguments). */
export interface SequenceToScore {
  tokenIds: ArrayLike<number>;
  ranges: readonly TokenRange[];
}

/** What an engine has done since it was created (or since `resetStats()`). */
export interface EngineStats {
  /** Sequences scored (score() calls that ran or reused something). */
  sequences: number;
  /** Scored tokens: the sum of the ranges' lengths. */
  tokensScored: number;
  /** Tokens that went through the model. */
  tokensForwarded: number;
  /** Tokens whose KV cache came from a shared prefix instead of a forward pass. */
  tokensReused: number;
  /** Forward passes (model session runs). */
  chunks: number;
  /** Bytes of logits and per-token figures copied from the runtime into JavaScript. */
  bytesReadBack: number;
  /** Bytes of KV cache copied from the runtime into JavaScript: each run's new rows (append-only cache) or its whole present.* outputs (CPU runtimes, no fused graph). */
  kvBytesReadBack: number;
}

export interface LogprobEngine {
  /** e.g. `transformers.js/onnxruntime-node/cpu/fp32`, `transformers.js/webgpu/q4`. */
  readonly description: string;
  /** Longest sequence the model can score (its position-embedding / context limit). */
  readonly maxContext: number;
  /**
   * Scores `ranges` of one token sequence. Figures for each range come back in the same order.
   * Tokens past `maxContext` are not scored: the engine throws a ContextLimitError naming the limit.
   */
  score(tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], options?: ScoreOptions): Promise<TokenFigures[]>;
  /**
   * Scores several sequences, reusing the KV cache of shared prefixes among them (in an order that
   * puts sequences with long shared prefixes next to each other); figures come back in input order.
   * Engines without a KV cache leave it out.
   */
  scoreMany?(sequences: readonly SequenceToScore[], options?: Omit<ScoreOptions, 'reusePrefix'>): Promise<TokenFigures[][]>;
  /** Frees the cache kept by `reusePrefix` calls. */
  releasePrefixCache?(): Promise<void>;
  dispose(): Promise<void>;
  /**
   * Which figures besides the log-prob the engine computes; absent: all. A server's prompt
   * log-probs are top-k lists, so a server engine has no entropy (docs/servers.md); the pair
   * scorer leaves out of the record what the policy engine does not compute.
   */
  readonly computedFigures?: { readonly entropy: boolean; readonly topkMean: boolean };
}

/**
 * The engine seam of the scoring path (src/core/scoring): a LogprobEngine that says what it is and
 * how it runs. The transformers.js engine (CPU, WASM, WebGPU) implements it, and so does every
 * engine a pair can run on; the scoring path never asks which one it has.
 */
export interface ScoringEngine extends LogprobEngine {
  /** The model as the engine was asked for it (hub id or folder name). */
  readonly modelId: string;
  readonly vocabSize: number;
  /** `device`: logits stay on the device that computed them and are reduced there; `cpu`: they are read back per chunk. */
  readonly logitsPlacement: 'device' | 'cpu';
  /** `model-graph`: the reduction runs inside the model's session; `separate-session`: in a second session. */
  readonly reductionPlacement: 'model-graph' | 'separate-session';
  /** `append-only`: new cache rows appended in place; `present-outputs`: each run's present.* outputs fed back. */
  readonly kvCacheMode: 'append-only' | 'present-outputs';
  /** `scored-only`: logits of scored positions only; `every-position`: of every position forwarded. */
  readonly logitRows: 'scored-only' | 'every-position';
  /** The chunk length a score() call with this requested chunk size will use. */
  effectiveChunkSize(requested?: number): number;
  /**
   * Every way this engine runs other than the fastest way it was built for, each with its reason
   * (the in-graph reduction or the LM-head cut not applied, a dtype replaced, …). Absent or empty: none.
   */
  readonly fallbacks?: readonly EngineFallback[];
  releasePrefixCache(): Promise<void>;
}

/**
 * One departure from the fastest way to run a model, and why: said by the CLI (text, `--json`, each
 * score record's `execution`) and the model panel (docs/score.md, "What ran").
 */
export interface EngineFallback {
  /**
   * What fell back: `device` (WebGPU → WASM), `reduction` (the in-graph reduction → a separate
   * session), `head-cut` (the LM head runs at every position, not the scored rows only),
   * `kv-cache` (present outputs fed back instead of rows appended in place), `dtype` (another ONNX
   * file than the one asked for), `chunk-size` (chunks shorter than asked), `quantization` (a
   * dynamic int8 graph left quantizing over each forward pass, or a float16 graph's softmax left to
   * the CPU's float16 path, float32-softmax.ts: figures depend on the chunking, approximate),
   * `trigonometry` (WebGPU: the graph's Cos / Sin run as the device's approximations, exact-trig.ts).
   */
  kind: 'device' | 'reduction' | 'head-cut' | 'kv-cache' | 'dtype' | 'chunk-size' | 'quantization' | 'trigonometry';
  /** In words: what runs instead and why, e.g. "the head search stops at Mul after MatMulInteger". */
  reason: string;
}

export class ContextLimitError extends Error {
  constructor(
    readonly limit: number,
    readonly requested: number,
  ) {
    super(`the sequence has ${requested} tokens but the model's context is ${limit}`);
    this.name = 'ContextLimitError';
  }
}

/** The tokenizer operations rendering needs; transformers.js tokenizers are adapted to it. */
export interface TokenizerLike {
  /** Token ids of `text` with no special tokens added. */
  encode(text: string): number[];
  /** The text of each token id (for display). */
  decodeTokens(ids: readonly number[]): string[];
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /** Renders messages with the model's chat template to token ids; null when the tokenizer has no template. */
  applyChatTemplate: ((messages: ChatTemplateMessage[], options: { tools?: unknown[] }) => number[]) | null;
  /** A fingerprint of the vocabulary: equal fingerprints ⇒ token-level scores are comparable. */
  readonly vocabularyFingerprint: string;
}

export interface ChatTemplateMessage {
  role: string;
  content: string;
  name?: string;
  tool_calls?: { id?: string; type: 'function'; function: { name: string; arguments: Record<string, unknown> } }[];
  tool_call_id?: string;
}
