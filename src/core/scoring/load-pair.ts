/**
 * Loading a (policy, reference) pair for scoring, written once for the scoring worker and the CLI:
 * both tokenizers, how they pair (token level or step level), both engines (disposed again when
 * the second one fails), and errors that say which model, from where, and why.
 *
 * Where files come from is the host's business (ModelLocation + ModelFileReader: a Node folder or
 * cache, a served or dropped folder, the hub); which engine runs a model is the EngineFactory's.
 */
import { AutoTokenizer } from '@huggingface/transformers';
import { createTransformersEngine } from '../engine/transformers';
import { HUGGING_FACE_HUB, hubFileStatus, hubFileUrl, withModelLocation, type ModelFileReader, type ModelLocation } from '../engine/model-location';
import type { EngineFallback, ScoringEngine, TokenizerLike } from '../engine/types';
import { pairTokenizers, transformersTokenizerIdentity, type TokenizerIdentity, type TokenizerPairing } from '../models/tokenizer-pairing';
import { fromTransformersTokenizer } from '../tokenizer';
import type { LoadProgress, LoadedModelInfo, ModelExecution, PairDescription } from './records';

export type PairSide = 'policy' | 'reference';

/** One model of the pair: where it is, and how messages name it (`folder /models/policy`, `hub model "owner/name"`). */
export interface ModelSpec {
  location: ModelLocation;
  label: string;
  /** Whether the location is the hub (errors then say whether the hub could be reached). */
  remote: boolean;
}

export interface PairSpec {
  /** null: the policy's log-probs are carried by the trajectories (Inspect AI logs); scores are step level. */
  policy: ModelSpec | null;
  reference: ModelSpec;
  /** Which ONNX file of each model (fp32, fp16, q8, q4, q4f16). */
  dtype: string;
}

/** What an engine factory is asked for: one model on one device. */
export interface EngineRequest {
  side: PairSide;
  model: ModelSpec;
  dtype: string;
  device: 'cpu' | 'wasm' | 'webgpu';
  onProgress?(progress: LoadProgress): void;
}

/** Makes the engine of one model. The scoring path only sees the ScoringEngine it returns. */
export type EngineFactory = (request: EngineRequest) => Promise<ScoringEngine>;

/** transformers.js engines (onnxruntime-node on `cpu`, onnxruntime-web on `wasm` / `webgpu`); `files` reads model files back for the in-graph reduction. */
export function transformersEngineFactory(files: ModelFileReader | null, options: { chunkSize?: number } = {}): EngineFactory {
  return ({ side, model, dtype, device, onProgress }) =>
    createTransformersEngine({
      ...model.location,
      files,
      dtype: dtype as Parameters<typeof createTransformersEngine>[0]['dtype'],
      device,
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      onLoadProgress: (info: unknown) => {
        const p = info as { status?: string; file?: string; loaded?: number; total?: number };
        if (p.status === 'progress' && p.file) onProgress?.({ model: side, file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
      },
    });
}

/** A model that could not be loaded: the message names the side, what failed, where from and why. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

function loadFailure(what: string, side: PairSide, model: ModelSpec, error: unknown): ModelLoadError {
  if (error instanceof ModelLoadError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const offline = model.remote && /fetch failed|failed to fetch|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|network/i.test(reason);
  const missing = model.remote && /could not locate file|\b404\b|not found/i.test(reason);
  const hint = model.remote
    ? offline
      ? ' (the hub cannot be reached: is the network up? A hub model is downloaded once, then read from the cache)'
      : missing
        ? ` (the hub has no such file: check the model id, and that the ${what.includes('model') ? 'dtype asked for' : 'model'} is published as ONNX there)`
        : ' (no local folder by that name exists either)'
    : '';
  return new ModelLoadError(`cannot load the ${side} ${what} from the ${model.label}: ${reason}${hint}`);
}

/** The pairing when the policy side is carried by the files. */
export const PRECOMPUTED_PAIRING = {
  level: 'step',
  precomputed: true,
  notice:
    "the policy log-probs come from the files, in the tokenization of the model that produced them: step-level scores (each step's summed log-probs, the reference model's in its own tokenization)",
} as const;

export type PairingOutcome = TokenizerPairing | typeof PRECOMPUTED_PAIRING;

export interface PairTokenizers {
  /** null when the policy's log-probs come from the files. */
  policyTokenizer: TokenizerLike | null;
  referenceTokenizer: TokenizerLike;
  pairing: PairingOutcome;
}

async function loadTokenizerOf(model: ModelSpec, side: PairSide): Promise<{ tokenizer: TokenizerLike; identity: TokenizerIdentity }> {
  try {
    const raw = await withModelLocation(model.location, (modelId) => AutoTokenizer.from_pretrained(modelId));
    const tokenizer = fromTransformersTokenizer(raw);
    return { tokenizer, identity: transformersTokenizerIdentity(raw, tokenizer) };
  } catch (error) {
    // A repository that does not exist can fail inside transformers.js before its 404 is reported: ask the hub.
    if (model.remote && !(error instanceof Error && /could not locate file/i.test(error.message))) {
      const url = hubFileUrl(model.location.hub ?? HUGGING_FACE_HUB, model.location.modelId, 'tokenizer.json');
      if ((await hubFileStatus(model.location, 'tokenizer.json')) === 404) throw loadFailure('tokenizer', side, model, new Error(`${url} answered 404 Not Found`));
    }
    throw loadFailure('tokenizer', side, model, error);
  }
}

/** Both tokenizers and how they pair: token level (same vocabulary) or step level. */
export async function loadPairTokenizers(spec: PairSpec): Promise<PairTokenizers> {
  const reference = await loadTokenizerOf(spec.reference, 'reference');
  if (spec.policy === null) return { policyTokenizer: null, referenceTokenizer: reference.tokenizer, pairing: PRECOMPUTED_PAIRING };
  const policy = await loadTokenizerOf(spec.policy, 'policy');
  return { policyTokenizer: policy.tokenizer, referenceTokenizer: reference.tokenizer, pairing: pairTokenizers(policy.identity, reference.identity) };
}

export interface PairEngines {
  /** null when the policy's log-probs come from the files. */
  policyEngine: ScoringEngine | null;
  referenceEngine: ScoringEngine;
}

/** Both engines, one after the other (onnxruntime-web initialises one session at a time); the first is disposed when the second fails. */
export async function loadPairEngines(
  spec: PairSpec,
  device: EngineRequest['device'],
  engineFactory: EngineFactory,
  onProgress?: (progress: LoadProgress) => void,
): Promise<PairEngines> {
  const load = async (side: PairSide, model: ModelSpec) => {
    try {
      return await engineFactory({ side, model, dtype: spec.dtype, device, ...(onProgress ? { onProgress } : {}) });
    } catch (error) {
      throw loadFailure(`model (${spec.dtype})`, side, model, error);
    }
  };
  const policyEngine = spec.policy ? await load('policy', spec.policy) : null;
  try {
    return { policyEngine, referenceEngine: await load('reference', spec.reference) };
  } catch (error) {
    await policyEngine?.dispose().catch(() => undefined);
    throw error;
  }
}

/** A loaded pair: what the scoring path (score-trajectory.ts, job.ts) runs on. */
export interface ScoringPair extends PairTokenizers, PairEngines {
  spec: PairSpec;
  /** `server`: both engines are vLLM / SGLang servers (src/core/engine/server). */
  device: ModelExecution['device'];
}

export async function loadScoringPair(
  spec: PairSpec,
  options: { device: EngineRequest['device']; engineFactory: EngineFactory; onProgress?: (progress: LoadProgress) => void },
): Promise<ScoringPair> {
  const tokenizers = await loadPairTokenizers(spec);
  const engines = await loadPairEngines(spec, options.device, options.engineFactory, options.onProgress);
  return { spec, device: options.device, ...tokenizers, ...engines };
}

export async function disposeScoringPair(pair: PairEngines): Promise<void> {
  await Promise.allSettled([pair.policyEngine?.dispose(), pair.referenceEngine.dispose()]);
}

export async function releasePrefixCaches(pair: PairEngines): Promise<void> {
  await Promise.allSettled([pair.policyEngine?.releasePrefixCache(), pair.referenceEngine.releasePrefixCache()]);
}

/** How a model of a loaded pair ran: the pair's device and dtype, and fallbacks said outside the engine (a WebGPU → WASM reload). */
export interface RunContext {
  device: ModelExecution['device'];
  dtype: string;
  /** The chunk size asked for (the CLI's --chunk); absent: the engine's default. */
  requestedChunkSize?: number;
  /** Fallbacks of the pair as a whole (the worker's WebGPU → WASM reload), said before the engine's own. */
  fallbacks?: readonly EngineFallback[];
}

export function modelInfoOf(engine: ScoringEngine, tokenizer: TokenizerLike, run: RunContext): LoadedModelInfo {
  return {
    id: engine.modelId,
    description: engine.description,
    device: run.device,
    dtype: run.dtype,
    maxContext: engine.maxContext,
    vocabSize: engine.vocabSize,
    vocabularyFingerprint: tokenizer.vocabularyFingerprint,
    logitsPlacement: engine.logitsPlacement,
    reductionPlacement: engine.reductionPlacement,
    kvCacheMode: engine.kvCacheMode,
    logitRows: engine.logitRows,
    chunkSize: engine.effectiveChunkSize(run.requestedChunkSize),
    fallbacks: [...(run.fallbacks ?? []), ...(engine.fallbacks ?? [])].map((fallback) => ({ kind: fallback.kind, reason: fallback.reason })),
  };
}

/** The pair as the page and the CLI show it (a pair of two models; a precomputed policy side has no model to describe). */
export function describePair(pair: ScoringPair, options: Pick<RunContext, 'requestedChunkSize' | 'fallbacks'> = {}): PairDescription {
  if (!pair.policyEngine || !pair.policyTokenizer) throw new Error('a pair whose policy log-probs come from the files has no policy model to describe');
  const run: RunContext = { device: pair.device, dtype: pair.spec.dtype, ...options };
  return {
    policy: modelInfoOf(pair.policyEngine, pair.policyTokenizer, run),
    reference: modelInfoOf(pair.referenceEngine, pair.referenceTokenizer, run),
    tokenizerMismatch: pair.pairing.level === 'step' ? pair.pairing.notice : null,
    tokenizerNotice: pair.pairing.level === 'token' && 'notice' in pair.pairing ? pair.pairing.notice : null,
  };
}
