/**
 * Scores one trajectory under a policy and a reference model and writes the result in the score
 * format (src/core/scores/format.ts): per action token log π_θ, log π_ref, and the policy's
 * entropy and top-20 mean.
 *
 * Token level (`scorePair`, `scorePairFromPrecomputed`) needs both sides in one tokenization (same
 * `vocabularyFingerprint`, see `checkTokenizersMatch`): one rendering, one forward pass per model
 * over the whole rendered sequence, ranges = the action spans.
 *
 * Step level (`scoreStepLevel`) is the fallback when the tokenizations differ (two tokenizers, or
 * log-probs recorded by an API next to a local reference model): each side scores the step's text
 * in its own tokenization and spans, and a step's score is the difference of the step's string
 * log-likelihoods, Σ log π_θ(step tokens) − Σ log π_ref(step tokens). Per-token figures do not
 * exist at this level; the result says so with `stepLevelOnly: true`.
 *
 * Nothing is cut silently: every step that is not (fully) scored is listed in `notScored` with the
 * reason, e.g. the steps beyond a model's context.
 *
 * Longer than 400 lines: token level, step level and precomputed figures share one record assembly
 * and one `notScored` bookkeeping, which stay together so that the three paths cannot drift apart.
 */
import type { RenderedTrajectory, MessageSpan } from '../render/types';
import type { ScoreRecord, ScoreStep } from '../scores/format';
import type { Trajectory } from '../trajectory/types';
import type { PrecomputedLogprobSource, PrecomputedStepFigures } from './precomputed';
import { contextNeededFor } from './ranges';
import type { LogprobEngine, ScoreProgress, TokenFigures, TokenRange, TokenizerLike } from './types';

export interface PairProgress extends ScoreProgress {
  /** Which model is running. */
  model: 'policy' | 'reference';
}

export type NotScoredReason =
  /** The step's tokens lie beyond a model's context (`maxContext`). */
  | 'context-limit'
  /** The reference context policy cut the step's tokens, or some of them, from the start (src/core/scoring/context-policy.ts). */
  | 'left-truncated'
  /** The step renders to no token. */
  | 'empty-span'
  /** The step's first token is token 0 of the sequence, which no earlier token predicts; that one token is left out. */
  | 'first-token'
  /** A precomputed source holds no log-probs for the step. */
  | 'no-precomputed-logprobs'
  /** Two precomputed sources disagree on the step's tokens, so they cannot be paired token by token. */
  | 'token-mismatch';

export interface NotScoredStep {
  /** Message index of the step. */
  message: number;
  reason: NotScoredReason;
  /** Which side the reason applies to. */
  side: 'policy' | 'reference' | 'both';
  /** A sentence for the UI / CLI. */
  detail: string;
}

export interface PairScore {
  /** One step per action step, in order; a step that is not scored has empty arrays. */
  record: ScoreRecord;
  notScored: NotScoredStep[];
}

export interface ScorePairInput {
  trajectory: Trajectory;
  /** The trajectory rendered with the (shared) tokenizer of both models. */
  rendered: RenderedTrajectory;
  policy: LogprobEngine;
  reference: LogprobEngine;
  /** Token texts for the record's `tokens` (TokenizerLike.decodeTokens); left out when absent. */
  decodeTokens?: TokenizerLike['decodeTokens'];
  chunkSize?: number;
  onProgress?(progress: PairProgress): void;
  signal?: AbortSignal;
  /**
   * Each engine starts from the KV cache of the token prefix this trajectory shares with the one it
   * scored before with `reusePrefix` (best-of-N trajectories share the system prompt and policy
   * text), and keeps this one's for the next; `releasePrefixCache()` frees it. Same figures.
   */
  reusePrefix?: boolean;
}

export type TokenizerMatch = { match: true } | { match: false; reason: string };

/** Token-level scores of two models are comparable only when their vocabularies are the same. */
export function checkTokenizersMatch(
  policy: Pick<TokenizerLike, 'vocabularyFingerprint'>,
  reference: Pick<TokenizerLike, 'vocabularyFingerprint'>,
): TokenizerMatch {
  if (policy.vocabularyFingerprint === reference.vocabularyFingerprint) return { match: true };
  return {
    match: false,
    reason: `the policy and reference tokenizers have different vocabularies (fingerprints ${policy.vocabularyFingerprint} and ${reference.vocabularyFingerprint}); only step-level scores (the difference of each step's log-likelihood) can be compared`,
  };
}

/** The record fields that come from the trajectory and its labels. */
interface RecordHeader {
  id: string;
  taskId?: string;
  reward?: number;
  mistakeStep?: number;
  mistakeAgent?: string;
}

function recordHeader(trajectory: Trajectory): RecordHeader {
  const { labels } = trajectory;
  // The score format's success is reward ≥ 1; a source that only says success/failure maps to 1/0.
  const reward = labels.reward ?? (labels.success === undefined ? undefined : labels.success ? 1 : 0);
  return {
    id: trajectory.id,
    ...(trajectory.taskId !== undefined ? { taskId: trajectory.taskId } : {}),
    ...(reward !== undefined ? { reward } : {}),
    ...(labels.mistakeStep !== undefined ? { mistakeStep: labels.mistakeStep } : {}),
    ...(labels.mistakeAgent !== undefined ? { mistakeAgent: labels.mistakeAgent } : {}),
  };
}

function agentOf(trajectory: Trajectory, message: number): { agent?: string } {
  const name = trajectory.messages[message]?.name;
  return name !== undefined ? { agent: name } : {};
}

/** The rendered action spans, checked against the trajectory's action steps. */
function actionSpansOf(trajectory: Trajectory, rendered: RenderedTrajectory): readonly MessageSpan[] {
  const spans = rendered.actionSpans;
  if (spans.length !== trajectory.actionSteps.length || spans.some((span, index) => span.message !== trajectory.actionSteps[index])) {
    throw new Error(
      `${trajectory.id}: the rendering's action spans (messages ${spans.map((span) => span.message).join(', ')}) do not match the trajectory's action steps (${trajectory.actionSteps.join(', ')})`,
    );
  }
  for (const span of spans) {
    if (span.start < 0 || span.end < span.start || span.end > rendered.tokenIds.length) {
      throw new Error(`${trajectory.id}: message ${span.message}'s span [${span.start}, ${span.end}) is outside the ${rendered.tokenIds.length} rendered tokens`);
    }
  }
  return spans;
}

interface PlannedRange {
  /** The scored range; empty when the step is not scored. */
  range: TokenRange;
  notScored: NotScoredStep | null;
}

/**
 * Which tokens of each step a set of models can score: empty spans and steps beyond the smallest
 * context are left out (with a reason); a span that starts at token 0 loses that token.
 */
function planRanges(spans: readonly MessageSpan[], limits: readonly { side: 'policy' | 'reference'; engine: LogprobEngine }[]): PlannedRange[] {
  return spans.map((span) => {
    if (span.end === span.start) {
      return {
        range: { start: span.start, end: span.start },
        notScored: { message: span.message, reason: 'empty-span', side: 'both', detail: `message ${span.message} renders to no token` },
      };
    }
    const range = { start: Math.max(span.start, 1), end: span.end };
    const needed = contextNeededFor(range);
    const tooShort = limits.filter(({ engine }) => needed > engine.maxContext);
    if (tooShort.length > 0) {
      const which = tooShort.map(({ side, engine }) => `the ${side} model (${engine.description}) takes ${engine.maxContext}`).join(' and ');
      return {
        range: { start: span.start, end: span.start },
        notScored: {
          message: span.message,
          reason: 'context-limit',
          side: tooShort.length === limits.length && limits.length > 1 ? 'both' : tooShort[0].side,
          detail: `message ${span.message} ends at token ${span.end}: scoring it needs ${needed} tokens of context, but ${which}`,
        },
      };
    }
    if (span.start === 0) {
      return {
        range,
        notScored: {
          message: span.message,
          reason: 'first-token',
          side: 'both',
          detail: `message ${span.message} starts the rendered sequence; its first token has no context and is left out`,
        },
      };
    }
    return { range, notScored: null };
  });
}

const numbers = (values: Float32Array): number[] => Array.from(values);

/** Token-level scores of one trajectory under two models that share a tokenizer. */
export async function scorePair(input: ScorePairInput): Promise<PairScore> {
  const { trajectory, rendered, policy, reference, decodeTokens, chunkSize, onProgress, signal, reusePrefix } = input;
  const spans = actionSpansOf(trajectory, rendered);
  const plan = planRanges(spans, [
    { side: 'policy', engine: policy },
    { side: 'reference', engine: reference },
  ]);
  const ranges = plan.map((planned) => planned.range);
  const run = (engine: LogprobEngine, model: 'policy' | 'reference'): Promise<TokenFigures[]> =>
    engine.score(rendered.tokenIds, ranges, {
      ...(chunkSize !== undefined ? { chunkSize } : {}),
      ...(signal ? { signal } : {}),
      ...(reusePrefix ? { reusePrefix } : {}),
      ...(onProgress ? { onProgress: (progress: ScoreProgress) => onProgress({ model, ...progress }) } : {}),
    });
  // One after the other: two models in one worker share the device.
  const policyFigures = await run(policy, 'policy');
  const referenceFigures = await run(reference, 'reference');

  const computed = policy.computedFigures ?? { entropy: true, topkMean: true };
  const steps: ScoreStep[] = plan.map(({ range }, index) => {
    const tokenIds = rendered.tokenIds.slice(range.start, range.end);
    return {
      message: spans[index].message,
      ...agentOf(trajectory, spans[index].message),
      policy: numbers(policyFigures[index].logprob),
      reference: numbers(referenceFigures[index].logprob),
      ...(computed.topkMean ? { topkMean: numbers(policyFigures[index].topkMean) } : {}),
      ...(computed.entropy ? { entropy: numbers(policyFigures[index].entropy) } : {}),
      tokenIds,
      ...(decodeTokens ? { tokens: decodeTokens(tokenIds) } : {}),
    };
  });
  return {
    record: { ...recordHeader(trajectory), policyModel: policy.description, referenceModel: reference.description, steps },
    notScored: plan.flatMap((planned) => (planned.notScored ? [planned.notScored] : [])),
  };
}

/**
 * Token-level scores from two precomputed sources (no model). A step is paired only when both
 * sources have it with the same number of tokens (and the same token texts where both have them).
 */
export function scorePairFromPrecomputed(input: {
  trajectory: Trajectory;
  policy: PrecomputedLogprobSource;
  reference: PrecomputedLogprobSource;
}): PairScore {
  const { trajectory, policy, reference } = input;
  const notScored: NotScoredStep[] = [];
  const steps: ScoreStep[] = trajectory.actionSteps.map((message) => {
    const empty: ScoreStep = { message, ...agentOf(trajectory, message), policy: [], reference: [] };
    const policyFigures = policy.stepFigures(message);
    const referenceFigures = reference.stepFigures(message);
    if (!policyFigures || !referenceFigures) {
      const side = !policyFigures && !referenceFigures ? 'both' : !policyFigures ? 'policy' : 'reference';
      notScored.push({ message, reason: 'no-precomputed-logprobs', side, detail: `the ${side === 'both' ? 'policy and reference sources hold' : `${side} source holds`} no usable log-probs for message ${message} (none, or a token at -Infinity)` });
      return empty;
    }
    const mismatch = tokenMismatch(policyFigures, referenceFigures);
    if (mismatch !== null) {
      notScored.push({ message, reason: 'token-mismatch', side: 'both', detail: `message ${message}: ${mismatch}` });
      return empty;
    }
    return {
      ...empty,
      policy: numbers(policyFigures.logprob),
      reference: numbers(referenceFigures.logprob),
      ...(policyFigures.topkMean ? { topkMean: numbers(policyFigures.topkMean) } : {}),
      ...(policyFigures.entropy ? { entropy: numbers(policyFigures.entropy) } : {}),
      ...(policyFigures.tokenIds ? { tokenIds: policyFigures.tokenIds } : {}),
      ...(policyFigures.tokens ? { tokens: policyFigures.tokens } : {}),
    };
  });
  return {
    record: { ...recordHeader(trajectory), policyModel: policy.description, referenceModel: reference.description, steps },
    notScored,
  };
}

function tokenMismatch(policy: PrecomputedStepFigures, reference: PrecomputedStepFigures): string | null {
  if (policy.logprob.length !== reference.logprob.length) {
    return `the policy source has ${policy.logprob.length} tokens and the reference source ${reference.logprob.length}`;
  }
  for (const key of ['tokenIds', 'tokens'] as const) {
    const a = policy[key];
    const b = reference[key];
    if (a && b) {
      const at = a.findIndex((value, index) => value !== b[index]);
      if (at !== -1) return `token ${at} is ${JSON.stringify(a[at])} in the policy source and ${JSON.stringify(b[at])} in the reference source`;
    }
  }
  return null;
}

/** One side of a step-level comparison: a model with the rendering in its own tokenizer, or precomputed log-probs. */
export type StepLevelSide = { engine: LogprobEngine; rendered: RenderedTrajectory } | { precomputed: PrecomputedLogprobSource };

export interface StepLogLikelihood {
  message: number;
  agent?: string;
  /** Σ log π_θ over the step's tokens in the policy's tokenization; null when not scored. */
  policy: number | null;
  /** Σ log π_ref over the step's tokens in the reference's tokenization; null when not scored. */
  reference: number | null;
  policyTokenCount: number;
  referenceTokenCount: number;
  /** policy − reference: the step's log-likelihood ratio; null when either side is missing. */
  difference: number | null;
}

/** Step-level scores, for models whose tokenizations differ. Not a ScoreRecord: there are no per-token figures. */
export interface StepLevelScore extends RecordHeader {
  stepLevelOnly: true;
  policyModel: string;
  referenceModel: string;
  /** One per action step, in order. */
  steps: StepLogLikelihood[];
  notScored: NotScoredStep[];
}

interface StepSums {
  sums: (number | null)[];
  tokenCounts: number[];
  notScored: NotScoredStep[];
  description: string;
}

async function stepSums(
  trajectory: Trajectory,
  source: StepLevelSide,
  side: 'policy' | 'reference',
  options: { chunkSize?: number; signal?: AbortSignal; reusePrefix?: boolean; onProgress?(progress: PairProgress): void },
): Promise<StepSums> {
  if ('precomputed' in source) {
    const notScored: NotScoredStep[] = [];
    const figures = trajectory.actionSteps.map((message) => {
      const step = source.precomputed.stepFigures(message);
      if (!step) notScored.push({ message, reason: 'no-precomputed-logprobs', side, detail: `the ${side} source holds no usable log-probs for message ${message} (none, or a token at -Infinity)` });
      return step;
    });
    return {
      sums: figures.map((step) => (step ? sum(step.logprob) : null)),
      tokenCounts: figures.map((step) => step?.logprob.length ?? 0),
      notScored,
      description: source.precomputed.description,
    };
  }
  const { engine, rendered } = source;
  const spans = actionSpansOf(trajectory, rendered);
  const plan = planRanges(spans, [{ side, engine }]);
  const { onProgress, chunkSize, signal, reusePrefix } = options;
  const figures = await engine.score(
    rendered.tokenIds,
    plan.map((planned) => planned.range),
    {
      ...(chunkSize !== undefined ? { chunkSize } : {}),
      ...(signal ? { signal } : {}),
      ...(reusePrefix ? { reusePrefix } : {}),
      ...(onProgress ? { onProgress: (progress: ScoreProgress) => onProgress({ model: side, ...progress }) } : {}),
    },
  );
  const notScored = plan.flatMap((planned) => (planned.notScored ? [{ ...planned.notScored, side }] : []));
  // A step that lost its first token still has a (slightly short) sum; steps with no scored token have none.
  const scoredAtAll = (index: number): boolean => plan[index].range.end > plan[index].range.start;
  return {
    sums: figures.map((step, index) => (scoredAtAll(index) ? sum(step.logprob) : null)),
    tokenCounts: figures.map((step) => step.logprob.length),
    notScored,
    description: engine.description,
  };
}

function sum(values: Float32Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Step-level scores: the difference of each step's log-likelihood under the two sides, each in its own tokenization. */
export async function scoreStepLevel(input: {
  trajectory: Trajectory;
  policy: StepLevelSide;
  reference: StepLevelSide;
  chunkSize?: number;
  onProgress?(progress: PairProgress): void;
  signal?: AbortSignal;
  /** As in ScorePairInput. */
  reusePrefix?: boolean;
}): Promise<StepLevelScore> {
  const { trajectory, chunkSize, onProgress, signal, reusePrefix } = input;
  const options = { chunkSize, onProgress, signal, reusePrefix };
  const policy = await stepSums(trajectory, input.policy, 'policy', options);
  const reference = await stepSums(trajectory, input.reference, 'reference', options);
  const steps = trajectory.actionSteps.map((message, index): StepLogLikelihood => {
    const policySum = policy.sums[index];
    const referenceSum = reference.sums[index];
    return {
      message,
      ...agentOf(trajectory, message),
      policy: policySum,
      reference: referenceSum,
      policyTokenCount: policy.tokenCounts[index],
      referenceTokenCount: reference.tokenCounts[index],
      difference: policySum !== null && referenceSum !== null ? policySum - referenceSum : null,
    };
  });
  return {
    stepLevelOnly: true,
    ...recordHeader(trajectory),
    policyModel: policy.description,
    referenceModel: reference.description,
    steps,
    notScored: [...policy.notScored, ...reference.notScored].sort((a, b) => a.message - b.message),
  };
}
