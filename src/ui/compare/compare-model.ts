/**
 * The comparison view's model: two score records of one trajectory evaluated with the analysis
 * settings (the evaluator every view uses), their tokens aligned (src/core/compare), the step
 * series paired and the decisive steps compared; and the geometry of the two-series step chart.
 */
import { alignScorings, compareDecisiveSteps, pairStepSeries, stepTokenAdvantages, type DecisiveComparison, type PairedStep, type ScoredStepTokens, type ScoringAlignment } from '../../core/compare';
import { evaluateTrajectory, type EvaluationOptions, type TrajectoryEvaluation } from '../../core/scores/evaluate';
import type { ScoreRecord } from '../../core/scores/format';
import type { FailurePredictor } from '../../core/metrics';
import { fittedColourRange } from '../../core/advantage/colour-range';
import { maxOf, minOf } from '../../core/arrays';

export interface ComparedScoring {
  record: ScoreRecord;
  tokenLevel: boolean;
}

export interface ScoringComparisonModel {
  alignment: ScoringAlignment;
  /** Each side's scored steps by message (token texts and advantages). */
  stepsA: Map<number, ScoredStepTokens>;
  stepsB: Map<number, ScoredStepTokens>;
  /** The evaluation of each side, or why the method cannot score it. */
  evaluationA: TrajectoryEvaluation | { error: string };
  evaluationB: TrajectoryEvaluation | { error: string };
  series: PairedStep[];
  decisive: DecisiveComparison;
  /** The colour range of the difference heatmap: fitted to the differences shown (null: none to fit). */
  differenceRange: number | null;
}

function stepsOf(side: ComparedScoring, beta: number): Map<number, ScoredStepTokens> {
  return new Map(side.record.steps.map((step) => [step.message, { message: step.message, texts: step.tokens ?? null, advantages: stepTokenAdvantages(step, beta, side.tokenLevel) }] as const));
}

function evaluate(record: ScoreRecord, options: EvaluationOptions): TrajectoryEvaluation | { error: string } {
  try {
    return evaluateTrajectory({ line: 1, record }, options);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const seriesOf = (e: TrajectoryEvaluation | { error: string }) => ('error' in e ? { messages: [], scores: [] } : { messages: e.record.steps.map((s) => s.message), scores: e.stepScores });
const decisiveOf = (e: TrajectoryEvaluation | { error: string }, predictor: FailurePredictor) => ('error' in e ? null : e.predicted[predictor]);

export function compareScorings(messageTexts: readonly string[], a: ComparedScoring, b: ComparedScoring, options: EvaluationOptions, predictor: FailurePredictor): ScoringComparisonModel {
  const stepsA = stepsOf(a, options.beta);
  const stepsB = stepsOf(b, options.beta);
  const alignment = alignScorings(messageTexts, [...stepsA.values()], [...stepsB.values()]);
  const evaluationA = evaluate(a.record, options);
  const evaluationB = evaluate(b.record, options);
  const differences = alignment.steps.flatMap((s) => s.pairs.map((p) => p.difference));
  return {
    alignment,
    stepsA,
    stepsB,
    evaluationA,
    evaluationB,
    series: pairStepSeries(seriesOf(evaluationA), seriesOf(evaluationB)),
    decisive: compareDecisiveSteps(decisiveOf(evaluationA, predictor), decisiveOf(evaluationB, predictor)),
    differenceRange: fittedColourRange(differences),
  };
}

export interface ChartPoint {
  message: number;
  x: number;
  y: number;
  value: number;
}

export interface StepChartGeometry {
  width: number;
  height: number;
  zeroY: number;
  /** SVG path of each series; a step a series did not score breaks its line. */
  pathA: string;
  pathB: string;
  pointsA: ChartPoint[];
  pointsB: ChartPoint[];
  /** x of each paired step, for the axis labels. */
  ticks: { message: number; x: number }[];
  min: number;
  max: number;
}

const MARGIN = 12;
/** Room on the left for the y axis' labels. */
const LEFT = 44;

/** Both step series on one pair of axes: x is the step's place in the union of both sides' steps, y its score. */
export function stepChartGeometry(series: readonly PairedStep[], width: number, height: number): StepChartGeometry {
  const values = series.flatMap((s) => [s.a, s.b]).filter((v): v is number => v !== null && Number.isFinite(v));
  const min = Math.min(0, minOf(values, 0));
  const max = Math.max(0, maxOf(values, 0));
  const span = max - min || 1;
  const step = series.length > 1 ? (width - LEFT - MARGIN) / (series.length - 1) : 0;
  const xOf = (i: number) => (series.length > 1 ? LEFT + i * step : (width + LEFT - MARGIN) / 2);
  const yOf = (v: number) => MARGIN + ((max - v) / span) * (height - 2 * MARGIN);
  const line = (pick: (s: PairedStep) => number | null) => {
    const points: ChartPoint[] = [];
    let path = '';
    let drawing = false;
    series.forEach((s, i) => {
      const v = pick(s);
      if (v === null || !Number.isFinite(v)) {
        drawing = false;
        return;
      }
      const point = { message: s.message, x: xOf(i), y: yOf(v), value: v };
      points.push(point);
      path += `${drawing ? 'L' : 'M'}${point.x.toFixed(2)},${point.y.toFixed(2)}`;
      drawing = true;
    });
    return { points, path };
  };
  const a = line((s) => s.a);
  const b = line((s) => s.b);
  return { width, height, zeroY: yOf(0), pathA: a.path, pathB: b.path, pointsA: a.points, pointsB: b.points, ticks: series.map((s, i) => ({ message: s.message, x: xOf(i) })), min, max };
}
