/**
 * Local GGUF files through llama.cpp (node-llama-cpp 3.21.1, in-process on CPU, CUDA, Vulkan or
 * Metal) behind the engine seam (docs/architecture.md §5; docs/score.md, "Local GGUF files").
 *
 * How the actual token's log-prob comes out: `LlamaContextSequence.controlledEvaluate` evaluates
 * the given tokens and, for each position asked, returns the next-token probabilities over the
 * whole vocabulary (`generateNext.probabilities`; the addon's `sampleToken` softmaxes every
 * vocabulary logit, `llama/addon/AddonContext.cpp`). They are float32 and underflow to 0 below
 * e^−103, so they are asked for at temperature T with no top-k / top-p / min-p cut: the addon
 * then softmaxes logits / T, and T · (log p_i − log p_top) gives back each logit's distance from
 * the largest, from which the log-softmax (and entropy, top-20 mean) is taken in float64 over all
 * of them. A log-prob down to −T·103 is read, and the figures equal those at T = 1 to ~1e-6.
 *
 * Node only (it loads a native addon): the CLI passes its EngineFactory to the scoring path.
 */
import { GgufFileType, getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { joinPath, type ModelLocation } from '../core/engine/model-location';
import { contextNeeded, emptyFigures, throwIfAborted, validateRanges, validateTokenIds } from '../core/engine/ranges';
import { ContextLimitError, TOP_K, type ScoreOptions, type ScoringEngine, type TokenFigures, type TokenRange } from '../core/engine/types';
import type { EngineFactory } from '../core/scoring/load-pair';

/** Probabilities are asked for at this temperature: the float32 softmax then reaches log-probs down to about −8 · 103. */
const LOGIT_SCALE_TEMPERATURE = 8;
/** Tokens llama.cpp takes in one decode call (its batch); chunking is llama.cpp's own. */
const DEFAULT_BATCH_SIZE = 512;

export interface LlamaCppEngineOptions {
  /** The .gguf file. */
  modelPath: string;
  /** How records name the model (default: the path). */
  modelId?: string;
  /** 'auto': CUDA, Vulkan or Metal when a prebuilt binary and a device are there, else CPU; false: CPU. */
  gpu?: 'auto' | false;
  /** Context to allocate, at most the model's trained context (default: the trained context). */
  contextSize?: number;
  batchSize?: number;
  /** CPU threads llama.cpp computes with (default: node-llama-cpp's, every math core). On a shared, busy machine 1 is far faster: ggml's threads spin-wait for each other. */
  threads?: number;
}

/** One llama.cpp runtime per process and GPU choice (loading the addon takes seconds). */
const runtimes = new Map<string, Promise<Llama>>();

function llamaRuntime(gpu: 'auto' | false): Promise<Llama> {
  const key = String(gpu);
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = getLlama({ gpu, logLevel: LlamaLogLevel.error, build: 'never' });
    runtimes.set(key, runtime);
  }
  return runtime;
}

interface PositionFigures {
  logprob: number;
  entropy: number;
  topkMean: number;
}

/**
 * The figures of `target` from one position's probabilities at temperature T (sorted, most
 * probable first, as node-llama-cpp returns them): exact float64 log-softmax of the recovered logits.
 */
export function figuresFromProbabilities(probabilities: ReadonlyMap<number, number>, target: number, temperature: number): PositionFigures {
  const count = probabilities.size;
  const distances = new Float64Array(count);
  let top = -Infinity;
  let index = 0;
  let targetIndex = -1;
  for (const [token, probability] of probabilities) {
    const scaled = Math.log(probability);
    distances[index] = scaled;
    if (scaled > top) top = scaled;
    if (token === target) targetIndex = index;
    index++;
  }
  if (targetIndex < 0) throw new Error(`llama.cpp gave no probability for token ${target}`);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    distances[i] = (distances[i] - top) * temperature;
    sum += Math.exp(distances[i]);
  }
  const logSum = Math.log(sum);
  let entropy = 0;
  for (let i = 0; i < count; i++) {
    const logprob = distances[i] - logSum;
    if (logprob > -Infinity) entropy -= Math.exp(logprob) * logprob;
  }
  // node-llama-cpp sorts the map by probability, highest first, so its first TOP_K entries are the
  // top 20; sorted here only if that ever stops holding.
  const topCount = Math.min(TOP_K, count);
  let sorted = true;
  for (let i = 1; i < count && sorted; i++) if (distances[i] > distances[i - 1]) sorted = false;
  const topDistances = sorted ? distances : Float64Array.from(distances).sort().reverse();
  let topSum = 0;
  for (let i = 0; i < topCount; i++) topSum += topDistances[i] - logSum;
  const logprob = distances[targetIndex] - logSum;
  if (!Number.isFinite(logprob)) throw new Error(`token ${target}'s probability underflowed to 0 even at temperature ${temperature} (log-prob below about ${-103 * temperature})`);
  return { logprob, entropy, topkMean: topSum / topCount };
}

export class LlamaCppEngine implements ScoringEngine {
  readonly logitsPlacement = 'cpu';
  readonly reductionPlacement = 'separate-session';
  readonly kvCacheMode = 'append-only';
  readonly logitRows = 'scored-only';
  readonly fallbacks = [];
  /** The tokens in the sequence's KV cache and the figures known for each of them (NaN: not computed). */
  private cached: { tokens: number[]; figures: Float64Array[] } | null = null;

  constructor(
    readonly modelId: string,
    readonly description: string,
    readonly maxContext: number,
    readonly vocabSize: number,
    /** The llama.cpp file type, e.g. ALL_F32, MOSTLY_Q4_K_M. */
    readonly fileType: string,
    private readonly batchSize: number,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
  ) {}

  effectiveChunkSize(): number {
    return this.batchSize;
  }

  async score(tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], options: ScoreOptions = {}): Promise<TokenFigures[]> {
    validateRanges(ranges, tokenIds.length);
    const forwardLength = contextNeeded(ranges);
    if (forwardLength > this.maxContext) throw new ContextLimitError(this.maxContext, forwardLength);
    validateTokenIds(tokenIds, Math.min(tokenIds.length, forwardLength + 1), this.vocabSize);
    throwIfAborted(options.signal);
    const tokens = Array.from(tokenIds).slice(0, forwardLength + 1);
    // wanted[t]: token t is scored, so position t − 1's distribution is asked for.
    const wanted = new Uint8Array(tokens.length);
    for (const range of ranges) wanted.fill(1, range.start, range.end);

    const keep = options.reusePrefix ? this.reusableTokens(tokens, wanted) : 0;
    const figures = [new Float64Array(tokens.length).fill(NaN), new Float64Array(tokens.length).fill(NaN), new Float64Array(tokens.length).fill(NaN)];
    if (keep > 0 && this.cached) for (let k = 0; k < 3; k++) figures[k].set(this.cached.figures[k].subarray(0, keep + 1));
    if (keep < this.sequence.nextTokenIndex) await this.sequence.eraseContextTokenRanges([{ start: keep, end: this.sequence.nextTokenIndex }]);
    this.cached = null;

    // Positions keep … forwardLength − 1 go through the model; position p gives token p + 1's figures.
    const input = tokens.slice(keep, forwardLength).map((token, offset) => {
      const position = keep + offset;
      if (!wanted[position + 1]) return token as Token;
      return [token as Token, { generateNext: { probabilities: true, options: { temperature: LOGIT_SCALE_TEMPERATURE, topK: 0, topP: 1, minP: 0, seed: 1 } } }] as const;
    });
    const total = input.length;
    let done = 0;
    const results = await this.sequence.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0], {
      onTokenResult: () => {
        done++;
        options.onProgress?.({ tokensDone: done, tokensTotal: total });
      },
    });
    throwIfAborted(options.signal);
    results.forEach((result, offset) => {
      const position = keep + offset;
      if (!wanted[position + 1]) return;
      const probabilities = result?.next.probabilities;
      if (!probabilities || probabilities.size !== this.vocabSize) {
        throw new Error(`llama.cpp returned ${probabilities?.size ?? 'no'} probabilities at position ${position} of ${this.modelId} (vocabulary ${this.vocabSize})`);
      }
      const one = figuresFromProbabilities(probabilities, tokens[position + 1], LOGIT_SCALE_TEMPERATURE);
      figures[0][position + 1] = one.logprob;
      figures[1][position + 1] = one.entropy;
      figures[2][position + 1] = one.topkMean;
    });
    if (options.reusePrefix) this.cached = { tokens: tokens.slice(0, forwardLength), figures };
    options.onProgress?.({ tokensDone: total, tokensTotal: total });

    return ranges.map((range) => {
      const out = emptyFigures(range.end - range.start);
      out.logprob.set(figures[0].subarray(range.start, range.end));
      out.entropy.set(figures[1].subarray(range.start, range.end));
      out.topkMean.set(figures[2].subarray(range.start, range.end));
      return out;
    });
  }

  /**
   * Tokens of the cached sequence this one can start from: a shared prefix, less one (the last
   * shared token's distribution is needed for the token after it), and no further than the first
   * scored token whose figures the previous call did not compute.
   */
  private reusableTokens(tokens: readonly number[], wanted: Uint8Array): number {
    if (!this.cached || this.sequence.nextTokenIndex !== this.cached.tokens.length) return 0;
    const previous = this.cached.tokens;
    let shared = 0;
    while (shared < previous.length && shared < tokens.length && previous[shared] === tokens[shared]) shared++;
    let keep = Math.max(0, shared - 1);
    for (let t = 1; t <= keep; t++) {
      if (wanted[t] && Number.isNaN(this.cached.figures[0][t])) {
        keep = t - 1;
        break;
      }
    }
    return keep;
  }

  async releasePrefixCache(): Promise<void> {
    this.cached = null;
    await this.sequence.clearHistory();
  }

  async dispose(): Promise<void> {
    this.cached = null;
    await this.context.dispose();
    await this.model.dispose();
  }
}

/** Loads a GGUF file into llama.cpp: float32 KV cache (the ONNX engine's precision), no flash attention, one sequence. */
export async function createLlamaCppEngine(options: LlamaCppEngineOptions): Promise<LlamaCppEngine> {
  const llama = await llamaRuntime(options.gpu ?? 'auto');
  const model = await llama.loadModel({ modelPath: options.modelPath });
  try {
    const trained = model.trainContextSize;
    const wanted = Math.min(options.contextSize ?? trained, trained);
    const batchSize = Math.min(options.batchSize ?? DEFAULT_BATCH_SIZE, wanted);
    const context = await model.createContext({
      contextSize: wanted,
      batchSize,
      sequences: 1,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    });
    const vocabSize = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    if (vocabSize === 0) throw new Error(`${options.modelPath} has no tokenizer.ggml.tokens: its vocabulary size is unknown`);
    const fileTypeId = model.fileInfo.metadata.general?.file_type;
    const fileType = fileTypeId !== undefined ? (GgufFileType[fileTypeId] ?? `file type ${fileTypeId}`) : 'unknown file type';
    const device = llama.gpu === false ? 'cpu' : llama.gpu;
    // Never past the trained context: GPT-2's learned positions end there (llama.cpp may allocate more).
    const maxContext = Math.min(trained, context.contextSize);
    const modelId = options.modelId ?? options.modelPath;
    return new LlamaCppEngine(modelId, `llama.cpp/${device}/${fileType}`, maxContext, vocabSize, fileType, batchSize, model, context, context.getSequence());
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

/** The .gguf file a ModelLocation names (a file location: its folder as localModelPath, its name as modelId). */
export function ggufPathOf(location: ModelLocation): string {
  return location.localModelPath !== undefined ? joinPath(location.localModelPath, location.modelId) : location.modelId;
}

/** llama.cpp engines for GGUF files; the request's dtype and device are the file's and llama.cpp's own. */
export function llamaCppEngineFactory(options: Pick<LlamaCppEngineOptions, 'gpu' | 'contextSize' | 'batchSize' | 'threads'> = {}): EngineFactory {
  return ({ model }) => createLlamaCppEngine({ ...options, modelPath: ggufPathOf(model.location), modelId: model.label });
}
