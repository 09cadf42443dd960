/**
 * From score records to every number the product reports: trajectory and step scores, failure
 * attribution, best-of-N and uncertainty metrics, and the token × step aggregation sweep.
 * Shared by the CLI's `eval` and the UI.
 */

import {
  kStepAdvantage,
  runningAdvantage,
  scoreTrajectory,
  StepInputError,
  STEP_AGGREGATIONS,
  TOKEN_AGGREGATIONS,
  type ScoringOptions,
  type StepAggregation,
  type TokenAggregation,
} from '../advantage';
import {
  agentAttributionAccuracy,
  auroc,
  bestOfN,
  failureAttributionMetrics,
  FAILURE_PREDICTORS,
  isSuccess,
  predictFailurePosition,
  rocCurve,
  spearman,
  taskGroupKey,
  type AgentAttributionCase,
  type AgentAttributionMetrics,
  type AttributionCase,
  type BestOfNResult,
  type FailureAttributionMetrics,
  type FailurePredictor,
  type RocPoint,
} from '../metrics';
import type { ParsedScoreRecord, ScoreLineError, ScoreRecord } from './format';
import { DEFAULT_EVALUATION_SETTINGS, type EvaluationSettings } from '../settings/analysis';

/**
 * The scoring options plus `k`, the window of the k-advantage the failure predictors read (1: the
 * step scores themselves). Declared, with bounds and defaults, in src/core/settings.
 */
export type EvaluationOptions = EvaluationSettings;

export const DEFAULT_EVALUATION_OPTIONS: EvaluationOptions = DEFAULT_EVALUATION_SETTINGS;

// Fails to compile when the settings' evaluation options and the scoring options part ways.
const scoringOptionsMatch: EvaluationOptions extends ScoringOptions ? true : never = true;
void scoringOptionsMatch;

/** A trajectory left out of everything, with the reason. */
export interface SkippedTrajectory {
  line: number;
  id: string | null;
  /** `steps[2].reference: has 3 log-probs but …` */
  reason: string;
}

/** A usable trajectory left out of one metric section, with the reason. */
export interface ExcludedTrajectory {
  line: number;
  id: string;
  reason: string;
}

export type PredictedMessages = Record<FailurePredictor, number | null>;

export interface TrajectoryEvaluation {
  id: string;
  line: number;
  record: ScoreRecord;
  /** One per action step; an unscored step is null (`unscored: 'skip'`) or 0 (`'zero'`). */
  stepScores: (number | null)[];
  /** Cumulative sum of the step scores; null at an unscored step. */
  runningAdvantage: (number | null)[];
  /** The k-advantage the failure predictors read (equal to `stepScores` for k = 1); null at an unscored step. */
  attributionScores: (number | null)[];
  /** Null when there is nothing to aggregate (see `scoreTrajectory`). */
  score: number | null;
  /** Action steps the scorer produced no figures for (beyond the context, refused, cancelled), under either policy. */
  unscoredSteps: number;
  /** The source file best-of-N groups by (`ParsedScoreRecord.source`, else the record's `file`), or null. */
  source: string | null;
  /** The best-of-N group (`taskGroupKey` under the options' grouping); null: a group of its own. */
  group: string | null;
  /** Predicted decisive message index of each predictor; null without a scored action step. */
  predicted: PredictedMessages;
}

/** How many evaluated trajectories have unscored steps. */
export interface UnscoredSummary {
  /** Trajectories with action steps of which none was scored: no score, no decisive step (under `skip`). */
  trajectories: number;
  /** Trajectories with some steps scored and some not. */
  partial: number;
  /** Unscored action steps in all. */
  steps: number;
}

export interface UncertaintyResult {
  /** Trajectories with a reward and a score. */
  n: number;
  auroc: number | null;
  /** Why `auroc` is null, else null. */
  aurocReason: string | null;
  spearman: number | null;
  spearmanReason: string | null;
  /** ROC points of the score for success; null when only one class is present. */
  roc: RocPoint[] | null;
}

export type FailureAttributionReport = Record<FailurePredictor, FailureAttributionMetrics>;
export type AgentAttributionReport = Record<FailurePredictor, AgentAttributionMetrics>;

export interface EvaluationReport {
  options: EvaluationOptions;
  trajectories: TrajectoryEvaluation[];
  /** Records that could not be scored as asked (plus any parse errors handed in). */
  skipped: SkippedTrajectory[];
  /** Null when no usable trajectory has a reward. */
  bestOfN: BestOfNResult | null;
  /** Null when no usable trajectory has both a reward and a score. */
  uncertainty: UncertaintyResult | null;
  /** Null when no usable trajectory has a `mistakeStep` and an action step. */
  failureAttribution: FailureAttributionReport | null;
  /** Null when no usable trajectory has a `mistakeAgent` and an action step. */
  agentAttribution: AgentAttributionReport | null;
  /** Trajectories with unscored steps (counted under either policy). */
  unscored: UnscoredSummary;
  /** For each computed section, the usable trajectories it left out and why. */
  excluded: { bestOfN: ExcludedTrajectory[]; uncertainty: ExcludedTrajectory[]; failureAttribution: ExcludedTrajectory[] };
}

export function skippedFromParseError(error: ScoreLineError): SkippedTrajectory {
  return { line: error.line, id: error.id, reason: error.field === null ? error.reason : `${error.field}: ${error.reason}` };
}

/** The source file of a record: the one the caller names, else the record's `file` provenance key. */
export function sourceOf(parsed: ParsedScoreRecord): string | null {
  if (parsed.source !== undefined) return parsed.source;
  const file = (parsed.record as { file?: unknown }).file;
  return typeof file === 'string' && file !== '' ? file : null;
}

/** Scores one record; throws `StepInputError` (field named) when the method cannot score it. */
export function evaluateTrajectory(parsed: ParsedScoreRecord, options: EvaluationOptions): TrajectoryEvaluation {
  const { record } = parsed;
  const { stepScores, score, unscoredSteps } = scoreTrajectory(record.steps, options);
  const attributionScores = kStepAdvantage(stepScores, options.k);
  const predicted = {} as PredictedMessages;
  for (const predictor of FAILURE_PREDICTORS) {
    const position = predictFailurePosition(attributionScores, predictor);
    predicted[predictor] = position === null ? null : record.steps[position].message;
  }
  const source = sourceOf(parsed);
  return {
    id: record.id,
    line: parsed.line,
    record,
    stepScores,
    runningAdvantage: runningAdvantage(stepScores),
    attributionScores,
    score,
    unscoredSteps,
    source,
    group: taskGroupKey(record.taskId, source, options.grouping),
    predicted,
  };
}

/** Why a usable trajectory has no score. */
function noScoreReason(t: TrajectoryEvaluation): string {
  if (t.record.steps.length === 0) return 'no score (no action step)';
  if (t.unscoredSteps === t.record.steps.length) return 'no score (no scored step)';
  return 'no score (no action step with tokens)';
}

function scoreAll(
  records: readonly ParsedScoreRecord[],
  options: EvaluationOptions,
): { trajectories: TrajectoryEvaluation[]; skipped: SkippedTrajectory[] } {
  const trajectories: TrajectoryEvaluation[] = [];
  const skipped: SkippedTrajectory[] = [];
  for (const parsed of records) {
    try {
      trajectories.push(evaluateTrajectory(parsed, options));
    } catch (err) {
      if (!(err instanceof StepInputError)) throw err;
      skipped.push({ line: parsed.line, id: parsed.record.id, reason: err.message });
    }
  }
  return { trajectories, skipped };
}

function uncertaintyOf(scored: readonly { score: number; reward: number }[]): UncertaintyResult {
  const scores = scored.map((t) => t.score);
  const rewards = scored.map((t) => t.reward);
  const successes = rewards.map(isSuccess);
  const area = auroc(scores, successes);
  const rho = spearman(scores, rewards);
  return {
    n: scored.length,
    auroc: area.value,
    aurocReason: area.reason,
    spearman: rho.value,
    spearmanReason: rho.reason,
    roc: rocCurve(scores, successes),
  };
}

function metricsOf(trajectories: readonly TrajectoryEvaluation[]): Omit<EvaluationReport, 'options' | 'trajectories' | 'skipped'> {
  const excluded: EvaluationReport['excluded'] = { bestOfN: [], uncertainty: [], failureAttribution: [] };
  const exclusion = (t: TrajectoryEvaluation, reason: string): ExcludedTrajectory => ({ line: t.line, id: t.id, reason });

  const rewarded = trajectories.filter((t) => t.record.reward != null);
  const rewardedScored = rewarded.filter((t) => t.score !== null);
  const best = bestOfN(
    rewardedScored.map((t) => ({ id: t.id, taskId: t.record.taskId, group: t.group, score: t.score, reward: t.record.reward as number })),
  );
  if (best) {
    excluded.bestOfN = trajectories
      .filter((t) => t.record.reward == null || t.score === null)
      .map((t) => exclusion(t, t.record.reward == null ? 'no reward' : noScoreReason(t)));
  }

  const uncertainty =
    rewardedScored.length === 0
      ? null
      : uncertaintyOf(rewardedScored.map((t) => ({ score: t.score as number, reward: t.record.reward as number })));
  if (uncertainty) {
    excluded.uncertainty = trajectories
      .filter((t) => t.record.reward == null || t.score === null)
      .map((t) => exclusion(t, t.record.reward == null ? 'no reward' : noScoreReason(t)));
  }

  const attributionCases: AttributionCase[] = [];
  const agentCases: AgentAttributionCase[] = [];
  const attributionExcluded: ExcludedTrajectory[] = [];
  for (const t of trajectories) {
    const { mistakeStep, mistakeAgent, steps } = t.record;
    const anyScored = t.attributionScores.some((v) => v !== null);
    if (mistakeStep == null) attributionExcluded.push(exclusion(t, 'no mistakeStep'));
    else if (steps.length === 0) attributionExcluded.push(exclusion(t, 'no action step'));
    else if (!anyScored) attributionExcluded.push(exclusion(t, 'no scored step'));
    else attributionCases.push({ stepMessages: steps.map((s) => s.message), stepScores: t.attributionScores, mistakeStep });
    if (mistakeAgent != null && anyScored) {
      agentCases.push({ stepAgents: steps.map((s) => s.agent), stepScores: t.attributionScores, mistakeAgent });
    }
  }
  let failureAttribution: FailureAttributionReport | null = null;
  if (attributionCases.length > 0) {
    failureAttribution = {} as FailureAttributionReport;
    for (const predictor of FAILURE_PREDICTORS) {
      failureAttribution[predictor] = failureAttributionMetrics(attributionCases, predictor) as FailureAttributionMetrics;
    }
    excluded.failureAttribution = attributionExcluded;
  }
  let agentAttribution: AgentAttributionReport | null = null;
  if (agentCases.length > 0) {
    agentAttribution = {} as AgentAttributionReport;
    for (const predictor of FAILURE_PREDICTORS) {
      agentAttribution[predictor] = agentAttributionAccuracy(agentCases, predictor) as AgentAttributionMetrics;
    }
  }
  return { bestOfN: best, uncertainty, failureAttribution, agentAttribution, unscored: unscoredSummaryOf(trajectories), excluded };
}

export function unscoredSummaryOf(trajectories: readonly TrajectoryEvaluation[]): UnscoredSummary {
  const summary: UnscoredSummary = { trajectories: 0, partial: 0, steps: 0 };
  for (const t of trajectories) {
    if (t.unscoredSteps === 0) continue;
    summary.steps += t.unscoredSteps;
    if (t.unscoredSteps === t.record.steps.length) summary.trajectories++;
    else summary.partial++;
  }
  return summary;
}

/**
 * Evaluates parsed records under one set of options. Records the method cannot score (unequal
 * policy / reference lengths in `difference` mode, no `topkMean` for the certainty baselines) are
 * listed in `skipped` after `parseErrors`; nothing is dropped without a line there.
 */
export function evaluateRecords(
  records: readonly ParsedScoreRecord[],
  options: EvaluationOptions,
  parseErrors: readonly ScoreLineError[] = [],
): EvaluationReport {
  const { trajectories, skipped } = scoreAll(records, options);
  const allSkipped = [...parseErrors.map(skippedFromParseError), ...skipped].sort((a, b) => a.line - b.line);
  return { options, trajectories, skipped: allSkipped, ...metricsOf(trajectories) };
}

export const SWEEP_METRICS = [
  'auroc',
  'spearman',
  'bestofn',
  'bestofn-reward',
  'fa-accuracy',
  'fa-within1',
  'fa-within2',
  'fa-mae',
  'agent-accuracy',
] as const;
/**
 * `auroc`, `spearman`: uncertainty; `bestofn`: best-of-N success rate; `bestofn-reward`: mean reward of
 * the chosen; `fa-*`: failure attribution of the chosen predictor; `agent-accuracy`: agent-level accuracy.
 */
export type SweepMetric = (typeof SWEEP_METRICS)[number];

export function isSweepMetric(name: string): name is SweepMetric {
  return (SWEEP_METRICS as readonly string[]).includes(name);
}

/** Whether a metric reads the trajectory score; the failure-attribution ones read step scores only. */
export function sweepMetricUsesStepAggregation(metric: SweepMetric): boolean {
  return metric === 'auroc' || metric === 'spearman' || metric === 'bestofn' || metric === 'bestofn-reward';
}

export function sweepMetricValue(report: EvaluationReport, metric: SweepMetric, predictor: FailurePredictor): number | null {
  switch (metric) {
    case 'auroc':
      return report.uncertainty?.auroc ?? null;
    case 'spearman':
      return report.uncertainty?.spearman ?? null;
    case 'bestofn':
      return report.bestOfN?.successRate ?? null;
    case 'bestofn-reward':
      return report.bestOfN?.meanReward ?? null;
    case 'fa-accuracy':
      return report.failureAttribution?.[predictor].accuracy ?? null;
    case 'fa-within1':
      return report.failureAttribution?.[predictor].within1 ?? null;
    case 'fa-within2':
      return report.failureAttribution?.[predictor].within2 ?? null;
    case 'fa-mae':
      return report.failureAttribution?.[predictor].mae ?? null;
    case 'agent-accuracy':
      return report.agentAttribution?.[predictor].accuracy ?? null;
  }
}

export interface SweepResult {
  metric: SweepMetric;
  predictor: FailurePredictor;
  tokenAggregations: readonly TokenAggregation[];
  stepAggregations: readonly StepAggregation[];
  /** values[i][j]: token aggregation i, step aggregation j; null where the metric is undefined. */
  values: (number | null)[][];
  /** Trajectories scored (the same in every cell: what is skipped does not depend on the aggregation). */
  n: number;
  skipped: SkippedTrajectory[];
}

/** The token × step aggregation table of one metric (the paper's aggregation study). */
export function sweepAggregations(
  records: readonly ParsedScoreRecord[],
  options: Omit<EvaluationOptions, 'tokenAggregation' | 'stepAggregation'>,
  metric: SweepMetric,
  predictor: FailurePredictor,
  parseErrors: readonly ScoreLineError[] = [],
): SweepResult {
  let n = 0;
  let skipped: SkippedTrajectory[] = [];
  const values = TOKEN_AGGREGATIONS.map((tokenAggregation) =>
    STEP_AGGREGATIONS.map((stepAggregation) => {
      const report = evaluateRecords(records, { ...options, tokenAggregation, stepAggregation }, parseErrors);
      n = report.trajectories.length;
      skipped = report.skipped;
      return sweepMetricValue(report, metric, predictor);
    }),
  );
  return { metric, predictor, tokenAggregations: TOKEN_AGGREGATIONS, stepAggregations: STEP_AGGREGATIONS, values, n, skipped };
}
