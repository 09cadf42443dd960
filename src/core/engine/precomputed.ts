/**
 * Log-probs that come with the input instead of from a model: the `logprobs` an Inspect AI log
 * records for each generated message or an ATIF step's `metrics.logprobs`
 * (Trajectory.messages[i].logprobs), or the arrays of a score
 * file (src/core/scores/format.ts). They are per message, in the tokenization of whoever produced
 * them, so a source answers per step rather than per token position of our rendering; the pair
 * scorer (pair.ts) pairs two sources token by token when their tokens agree, and otherwise
 * compares step log-likelihoods.
 */
import type { ScoreRecord } from '../scores/format';
import type { Trajectory } from '../trajectory/types';
import { TOP_K } from './types';

/** One step's figures, one entry per token of the source's tokenization. */
export interface PrecomputedStepFigures {
  logprob: Float32Array;
  /** Token texts when the source has them. */
  tokens: string[] | null;
  /** Token ids when the source has them (score files). */
  tokenIds: number[] | null;
  /** Entropy per token (nats), when the source has it. */
  entropy: Float32Array | null;
  /** Mean of the top-20 log-probs per token, when the source has it (or 20 top log-probs to compute it from). */
  topkMean: Float32Array | null;
}

export interface PrecomputedLogprobSource {
  /** Where the figures come from, e.g. `precomputed/inspect-ai` or `precomputed/score-file:policy`. */
  readonly description: string;
  /** The figures of the message at `messageIndex`; null when the source holds none for it, or none it can score (a token at -Infinity). */
  stepFigures(messageIndex: number): PrecomputedStepFigures | null;
}

/**
 * The log-probs carried by the trajectory's messages (Inspect AI logs). The top-20 mean is
 * computed from `topLogprobs` when every token of the message lists at least 20 of them; with
 * fewer it would not be the same statistic, so it is left out. Entropy cannot be recovered from a
 * truncated distribution and is always null.
 */
export function precomputedFromTrajectory(trajectory: Trajectory): PrecomputedLogprobSource {
  return {
    description: `precomputed/${trajectory.format}`,
    stepFigures(messageIndex) {
      const logprobs = trajectory.messages[messageIndex]?.logprobs;
      if (!logprobs || logprobs.length === 0) return null;
      // A token at -Infinity (probability 0, as Inspect AI logs may write) gives no score to compare: the step is not scored.
      if (logprobs.some((entry) => !Number.isFinite(entry.logprob))) return null;
      const everyTokenHasTopK = logprobs.every((entry) => (entry.topLogprobs?.length ?? 0) >= TOP_K);
      return {
        logprob: Float32Array.from(logprobs, (entry) => entry.logprob),
        // Texts and ids only where every token has one (ATIF gives bare log-probs, ids optionally).
        tokens: logprobs.every((entry) => entry.token !== undefined) ? logprobs.map((entry) => entry.token!) : null,
        tokenIds: logprobs.every((entry) => entry.tokenId !== undefined) ? logprobs.map((entry) => entry.tokenId!) : null,
        entropy: null,
        topkMean: everyTokenHasTopK ? Float32Array.from(logprobs, (entry) => topKMean(entry.topLogprobs!.map((top) => top.logprob))) : null,
      };
    },
  };
}

function topKMean(logprobs: readonly number[]): number {
  const top = [...logprobs].sort((a, b) => b - a).slice(0, TOP_K);
  return top.reduce((sum, value) => sum + value, 0) / top.length;
}

/**
 * One side of a score record. `entropy` and `topkMean` describe the policy's distribution, so
 * only the policy side carries them.
 */
export function precomputedFromScoreRecord(record: ScoreRecord, side: 'policy' | 'reference'): PrecomputedLogprobSource {
  const byMessage = new Map(record.steps.map((step) => [step.message, step]));
  return {
    description: `precomputed/score-file:${side}`,
    stepFigures(messageIndex) {
      const step = byMessage.get(messageIndex);
      if (!step) return null;
      const values = side === 'policy' ? step.policy : step.reference;
      // tokenIds / tokens are per policy token; they describe the reference side only when it has as many.
      const sameTokens = values.length === step.policy.length;
      return {
        logprob: Float32Array.from(values),
        tokens: sameTokens ? (step.tokens ?? null) : null,
        tokenIds: sameTokens ? (step.tokenIds ?? null) : null,
        entropy: side === 'policy' && step.entropy ? Float32Array.from(step.entropy) : null,
        topkMean: side === 'policy' && step.topkMean ? Float32Array.from(step.topkMean) : null,
      };
    },
  };
}
