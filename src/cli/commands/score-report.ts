/**
 * What `score` says about the models it loaded (docs/score.md, "What ran"): per model the engine,
 * device, dtype, where logits were reduced, which LM-head rows ran, the KV-cache mode, the chunk
 * size and every fallback with its reason, as text on standard error or as `--json` events, and
 * the same facts in each score record's `execution` key.
 */
import { describeExecution, describeFallback, executionOf, type LoadedModelInfo, type ModelExecution, type PairSide } from '../../core/scoring';
import type { Reporter } from './score-io';

/** One side of the loaded pair: its MODEL argument and how it runs (null: log-probs carried by the files). */
export interface LoadedSide {
  side: PairSide;
  spec: string;
  info: LoadedModelInfo | null;
}

/** The record's `execution` key: how each model ran. */
export function executionRecord(policy: LoadedSide, reference: LoadedSide & { info: LoadedModelInfo }): { policy: ModelExecution | null; reference: ModelExecution } {
  return { policy: policy.info ? executionOf(policy.info) : null, reference: executionOf(reference.info) };
}

/**
 * Two lines per model (what it is, then how it ran) as progress, and each fallback as a notice
 * (said even with --quiet: figures from a fallback path are still exact, but slower or larger
 * chunks are the user's to know about).
 */
export function reportModel(reporter: Reporter, loaded: LoadedSide, loadSeconds?: string): void {
  const { side, spec, info } = loaded;
  const took = loadSeconds === undefined ? '' : `; loaded in ${loadSeconds}`;
  if (!info) {
    reporter.info(`${side}: log-probs carried by the files (precomputed)`, { type: 'model', side, model: spec, precomputed: true });
    return;
  }
  reporter.info(`${side}: ${spec} (${info.description}, vocabulary ${info.vocabSize}, context ${info.maxContext}, chunk ${info.chunkSize})${took}`, {
    type: 'model',
    side,
    model: spec,
    id: info.id,
    description: info.description,
    vocabSize: info.vocabSize,
    maxContext: info.maxContext,
    vocabularyFingerprint: info.vocabularyFingerprint,
  });
  reporter.info(`${side} ran on ${describeExecution(info)}`, { type: 'execution', side, ...executionOf(info) });
  for (const fallback of info.fallbacks) {
    reporter.notice(`notice: ${side} fallback, ${describeFallback(fallback)}`, { type: 'fallback', side, kind: fallback.kind, reason: fallback.reason });
  }
}
