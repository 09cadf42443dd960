/**
 * Scoring one trajectory with a loaded pair, written once for the worker and the CLI: token level
 * when the tokenizers match (one rendering, both models over it), step level when they differ or
 * the policy side is carried by the file (each side in its own tokenization; a step whose either
 * sum is missing gets empty arrays and is listed in `notScored`).
 */
import { scorePair, scoreStepLevel, type NotScoredStep, type PairProgress, type StepLevelScore, type StepLevelSide } from '../engine/pair';
import { precomputedFromTrajectory } from '../engine/precomputed';
import { renderTrajectory } from '../render';
import type { RenderMode, RenderedTrajectory } from '../render/types';
import type { ScoreRecord } from '../scores/format';
import type { Trajectory } from '../trajectory/types';
import type { ScoringPair } from './load-pair';
import { leftTruncate, truncatedNotScored, type ContextPolicy } from './context-policy';
import type { ScoredTrajectory } from './records';

export interface ScoreTrajectoryOptions {
  render: RenderMode;
  /** The trajectory already rendered with the pair's primary tokenizer (renderPrimary), if at hand. */
  rendered?: RenderedTrajectory;
  chunkSize?: number;
  signal?: AbortSignal;
  /** Start from the KV cache of the prefix shared with the trajectory scored before (same figures). */
  reusePrefix?: boolean;
  /** Tokens forwarded so far through both models, as they run. */
  onTokens?(tokensForwarded: number): void;
  /** Per model, as it runs (the CLI's status line). */
  onProgress?(progress: PairProgress): void;
  /** What is scored of a trajectory longer than the context (context-policy.ts); absent: `fit`. */
  context?: ContextPolicy;
}

export type TrajectoryScore = Omit<ScoredTrajectory, 'key'>;

/** Renders with the tokenizer whose token counts the scores are reported in: the policy's, or the reference's when the policy side comes from the file. */
export function renderPrimary(pair: Pick<ScoringPair, 'policyTokenizer' | 'referenceTokenizer'>, trajectory: Trajectory, render: RenderMode): RenderedTrajectory {
  return renderTrajectory(trajectory, pair.policyTokenizer ?? pair.referenceTokenizer, render);
}

/** Tokens forwarded per model, from the engines' progress (tokensDone is cumulative within a call). */
function forwardCounter(onTokens?: (tokens: number) => void, onProgress?: (progress: PairProgress) => void) {
  const done = { policy: 0, reference: 0 };
  return {
    onProgress(progress: PairProgress) {
      done[progress.model] = progress.tokensDone;
      onProgress?.(progress);
      onTokens?.(done.policy + done.reference);
    },
    total: () => done.policy + done.reference,
  };
}

/** The trajectory's labels as the pair scorers wrote them (absent ones left out). */
export function labelsOf(header: { taskId?: string | null; reward?: number | null; mistakeStep?: number | null; mistakeAgent?: string | null }) {
  return {
    ...(header.taskId != null ? { taskId: header.taskId } : {}),
    ...(header.reward != null ? { reward: header.reward } : {}),
    ...(header.mistakeStep != null ? { mistakeStep: header.mistakeStep } : {}),
    ...(header.mistakeAgent != null ? { mistakeAgent: header.mistakeAgent } : {}),
  };
}

/**
 * Step-level scores as score-format steps: one-element arrays holding the step's summed log-probs,
 * so `eval --mode per-model --token-agg sum` (and `difference`, one pair per step) read them as
 * the step log-likelihood ratio. A step with either sum missing gets empty arrays (listed in notScored).
 */
export function stepLevelRecord(score: StepLevelScore): Pick<ScoredTrajectory, 'record' | 'stepTokenCounts'> {
  const record: ScoreRecord = {
    id: score.id,
    ...labelsOf(score),
    policyModel: score.policyModel,
    referenceModel: score.referenceModel,
    stepLevelOnly: true,
    steps: score.steps.map((step) => {
      const paired = step.policy !== null && step.reference !== null;
      return {
        message: step.message,
        ...(step.agent !== undefined ? { agent: step.agent } : {}),
        policy: paired ? [step.policy!] : [],
        reference: paired ? [step.reference!] : [],
      };
    }),
  };
  return { record, stepTokenCounts: score.steps.map((step) => ({ message: step.message, policy: step.policyTokenCount, reference: step.referenceTokenCount })) };
}

/** The reference side's own rendering under the context policy (step level: each side keeps its own last N tokens). */
function referenceRendering(rendered: RenderedTrajectory, context: ContextPolicy | undefined): RenderedTrajectory {
  return context?.policy === 'reference' ? (leftTruncate(rendered, context.tokens)?.rendered ?? rendered) : rendered;
}

/** The record says what chat rendering changed for the template (the primary rendering's mapping), when it changed anything. */
function withChatMapping(record: ScoreRecord, rendered: RenderedTrajectory): ScoreRecord {
  return rendered.chatMapping === undefined ? record : { ...record, chatMapping: rendered.chatMapping };
}

export async function scoreTrajectory(pair: ScoringPair, trajectory: Trajectory, options: ScoreTrajectoryOptions): Promise<TrajectoryScore> {
  const { render, chunkSize, signal, reusePrefix, context } = options;
  const whole = options.rendered ?? renderPrimary(pair, trajectory, render);
  // The reference context policy scores the last N tokens as if they were the whole trajectory.
  const truncation = context?.policy === 'reference' ? leftTruncate(whole, context.tokens) : null;
  const rendered = truncation?.rendered ?? whole;
  const notScoredOf = (notScored: NotScoredStep[]) => (truncation ? truncatedNotScored(notScored, whole, truncation) : notScored);
  const counter = forwardCounter(options.onTokens, options.onProgress);
  const common = {
    ...(chunkSize !== undefined ? { chunkSize } : {}),
    ...(signal ? { signal } : {}),
    ...(reusePrefix ? { reusePrefix } : {}),
    onProgress: counter.onProgress,
  };
  const counts = {
    tokens: whole.tokenIds.length,
    messageTokenCounts: whole.messageSpans.map((span) => span.end - span.start),
    device: pair.device,
  };

  if (pair.pairing.level === 'token' && pair.policyEngine && pair.policyTokenizer) {
    const tokenizer = pair.policyTokenizer;
    const { record, notScored } = await scorePair({
      trajectory,
      rendered,
      policy: pair.policyEngine,
      reference: pair.referenceEngine,
      decodeTokens: (ids) => tokenizer.decodeTokens(ids),
      ...common,
    });
    return { record: withChatMapping(record, rendered), notScored: notScoredOf(notScored), stepLevelOnly: false, ...counts, forwardedTokens: counter.total() };
  }

  const referenceSide: StepLevelSide = {
    engine: pair.referenceEngine,
    rendered: pair.policyTokenizer ? referenceRendering(renderTrajectory(trajectory, pair.referenceTokenizer, render), context) : rendered,
  };
  const policySide: StepLevelSide = pair.policyEngine ? { engine: pair.policyEngine, rendered } : { precomputed: precomputedFromTrajectory(trajectory) };
  const score = await scoreStepLevel({ trajectory, policy: policySide, reference: referenceSide, ...common });
  const stepLevel = stepLevelRecord(score);
  return { ...stepLevel, record: withChatMapping(stepLevel.record, rendered), notScored: notScoredOf(score.notScored), stepLevelOnly: true, ...counts, forwardedTokens: counter.total() };
}
