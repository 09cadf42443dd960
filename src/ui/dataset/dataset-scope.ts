/**
 * The dataset view's scope line: which trajectories its figures cover (the listed ones, as the
 * list's filters leave them), which it left out and why, and how many were only partly scored.
 * Pure; the counts come from the core's report (`evaluateRecords`).
 */
import type { EvaluationReport } from '../../core/scores/evaluate';

export interface DatasetScope {
  /** Trajectories the list shows. */
  listed: number;
  /** Trajectories loaded. */
  loaded: number;
  /** Listed trajectories with no scores yet. */
  notScoredYet: number;
  report: Pick<EvaluationReport, 'options' | 'skipped' | 'unscored'>;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** e.g. `200 listed trajectories of 599 loaded; 12 left out: 10 not scored yet, 2 no scored step; 5 partly scored; 17 steps unscored in all (left out of the aggregates)`. */
export function datasetScopeText({ listed, loaded, notScoredYet, report }: DatasetScope): string {
  const zero = report.options.unscored === 'zero';
  const reasons: string[] = [];
  if (notScoredYet > 0) reasons.push(`${notScoredYet} not scored yet`);
  if (report.skipped.length > 0) reasons.push(`${report.skipped.length} cannot be evaluated with these settings`);
  if (!zero && report.unscored.trajectories > 0) reasons.push(`${report.unscored.trajectories} no scored step`);
  const leftOut = reasons.length === 0 ? '' : `; ${notScoredYet + report.skipped.length + (zero ? 0 : report.unscored.trajectories)} left out: ${reasons.join(', ')}`;
  const parts = [`${plural(listed, 'listed trajectory', 'listed trajectories')} of ${loaded} loaded${leftOut}`];
  const { partial, steps, trajectories } = report.unscored;
  if (partial > 0) parts.push(`${partial} partly scored`);
  if (zero && trajectories > 0) parts.push(`${plural(trajectories, 'trajectory', 'trajectories')} with no scored step counted as 0`);
  if (steps > 0) parts.push(`${plural(steps, 'step', 'steps')} unscored in all (${zero ? 'counted as 0: reference-code parity' : 'left out of the aggregates'})`);
  return parts.join('; ');
}
