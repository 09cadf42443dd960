/**
 * The scoring engine's contract (DESIGN.md §3): every backend — transformers.js in Node
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
  dispose(): Promise<void>;
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
