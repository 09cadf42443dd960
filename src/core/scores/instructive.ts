/**
 * The trajectory a first visit opens on: one where the method is instructive, i.e. the decisive
 * step it predicts is the labelled mistake. Chosen from the evaluated results, deterministically.
 */
import type { FailurePredictor } from '../metrics/failure';
import type { TrajectoryEvaluation } from './evaluate';

/**
 * Among the evaluated trajectories whose predicted decisive step (under `predictor`) equals their
 * labelled mistake, the one whose decisive step lost the most ground (lowest step score: the
 * clearest picture), the earliest line on ties. Null when none matches.
 */
export function instructiveTrajectory(evaluations: readonly TrajectoryEvaluation[], predictor: FailurePredictor): TrajectoryEvaluation | null {
  let best: TrajectoryEvaluation | null = null;
  let bestScore = Infinity;
  for (const t of evaluations) {
    const mistake = t.record.mistakeStep;
    const predicted = t.predicted[predictor];
    if (mistake === null || mistake === undefined || predicted !== mistake) continue;
    const at = t.record.steps.findIndex((s) => s.message === mistake);
    const score = at >= 0 ? (t.stepScores[at] ?? Infinity) : Infinity;
    if (best === null || score < bestScore || (score === bestScore && t.line < best.line)) {
      best = t;
      bestScore = score;
    }
  }
  return best;
}
