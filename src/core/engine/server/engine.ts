/**
 * The server engine (docs/servers.md): a ScoringEngine whose figures come from a vLLM or SGLang
 * server's prompt log-probs. The client renders and tokenizes exactly as for the in-browser engine
 * and sends token ids, so the numbers mean the same thing (no double BOS, no tokenizer drift); the
 * server answers the log-prob of every prompt token in one request per sequence.
 *
 * What a server cannot give: the entropy of each position's distribution (prompt log-probs are
 * top-k lists, never the full vocabulary), so records scored here have none. The top-20 mean comes
 * from 20 top log-probs per position when `topLogprobs` is 20 (vLLM's default `--max-logprobs`).
 */
import { ContextLimitError, TOP_K, type ScoreOptions, type ScoringEngine, type TokenFigures, type TokenRange } from '../types';
import { contextNeeded, throwIfAborted, validateRanges } from '../ranges';
import { ReplicaPool, type ClientOptions } from './client';
import { connectServerModel, describeServerModel, hintFor, type ServerModelInfo, type ServerModelSpec } from './connect';
import { readSglangPromptLogprobs, readVllmPromptLogprobs, sglangGenerateRequest, vllmCompletionRequest, type PromptLogprobs, type ServerKind } from './wire';

export interface ServerEngine extends ScoringEngine {
  readonly server: ServerModelInfo;
  /** The served model's context as the server reports it (`max_model_len`). */
  readonly serverContext: number;
}

/** Connects to every replica (each must serve the model) and returns the engine. */
export async function createServerEngine(spec: ServerModelSpec, client: ClientOptions): Promise<ServerEngine> {
  if (spec.topLogprobs !== 0 && spec.topLogprobs < TOP_K) throw new Error(`top log-probs per position: 0 or at least ${TOP_K}, not ${spec.topLogprobs}`);
  const pool = new ReplicaPool(spec.urls, client, hintFor(spec.kind));
  const info = await connectServerModel(spec, pool);
  return new ServerScoringEngine(spec, pool, info);
}

/** Prompt tokens the server can take with the one token it must generate: vLLM needs prompt + 1 ≤ context, SGLang prompt + 1 < context. */
function longestPrompt(kind: ServerKind, context: number): number {
  return kind === 'vllm' ? context - 1 : context - 2;
}

class ServerScoringEngine implements ServerEngine {
  readonly modelId: string;
  readonly description: string;
  readonly maxContext: number;
  readonly serverContext: number;
  /** Servers do not say their vocabulary size; 0 means unknown. */
  readonly vocabSize = 0;
  readonly logitsPlacement = 'device' as const;
  readonly reductionPlacement = 'separate-session' as const;
  readonly kvCacheMode = 'present-outputs' as const;
  readonly logitRows = 'every-position' as const;
  readonly computedFigures: { entropy: boolean; topkMean: boolean };
  readonly fallbacks = [];

  constructor(
    private readonly spec: ServerModelSpec,
    private readonly pool: ReplicaPool,
    readonly server: ServerModelInfo,
  ) {
    this.modelId = server.model;
    this.description = describeServerModel(spec.kind, server);
    this.serverContext = server.context;
    // The sequence sent is every token up to the last scored one; contextNeeded counts one fewer.
    this.maxContext = Math.min(longestPrompt(spec.kind, server.context), server.maxPromptTokens ?? Infinity) - 1;
    this.computedFigures = { entropy: false, topkMean: spec.topLogprobs >= TOP_K };
  }

  /** One request per sequence: the server runs it however it is parallelised. */
  effectiveChunkSize(): number {
    return this.maxContext;
  }

  async score(tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], options: ScoreOptions = {}): Promise<TokenFigures[]> {
    validateRanges(ranges, tokenIds.length);
    throwIfAborted(options.signal);
    const needed = contextNeeded(ranges);
    if (needed > this.maxContext) throw new ContextLimitError(this.maxContext, needed);
    const promptLength = needed === 0 ? 0 : needed + 1;
    const prompt = Array.from({ length: promptLength }, (_, index) => tokenIds[index]);
    options.onProgress?.({ tokensDone: 0, tokensTotal: promptLength });
    const answer = promptLength < 2 ? { logprob: new Float64Array(0), top: null } : await this.promptLogprobs(prompt, options.signal);
    options.onProgress?.({ tokensDone: promptLength, tokensTotal: promptLength });
    return ranges.map((range) => this.figuresOf(answer, range));
  }

  private promptLogprobs(prompt: number[], signal: AbortSignal | undefined): Promise<PromptLogprobs> {
    const k = this.spec.topLogprobs;
    if (this.spec.kind === 'vllm') {
      return this.pool.post('/v1/completions', vllmCompletionRequest(this.server.model, prompt, k), (body) => readVllmPromptLogprobs(body, prompt, k), signal);
    }
    return this.pool.post('/generate', sglangGenerateRequest(prompt, k), (body) => readSglangPromptLogprobs(body, prompt, k), signal);
  }

  private figuresOf(answer: PromptLogprobs, range: TokenRange): TokenFigures {
    const length = range.end - range.start;
    const figures: TokenFigures = { logprob: new Float32Array(length), entropy: new Float32Array(length).fill(Number.NaN), topkMean: new Float32Array(length).fill(Number.NaN) };
    for (let offset = 0; offset < length; offset++) {
      // answer index p − 1 ↔ token p
      const index = range.start + offset - 1;
      figures.logprob[offset] = answer.logprob[index];
      const top = answer.top?.[index];
      if (top && top.length >= TOP_K) {
        let sum = 0;
        for (let k = 0; k < TOP_K; k++) sum += top[k];
        figures.topkMean[offset] = sum / TOP_K;
      }
    }
    return figures;
  }

  async releasePrefixCache(): Promise<void> {
    // The server keeps its own prefix cache.
  }

  async dispose(): Promise<void> {
    // Nothing held: connections are fetch's.
  }
}
