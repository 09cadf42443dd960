/**
 * Two trajectories of one task read side by side (issue 18): the messages they share from the
 * start once, then the two branches next to each other from the first message that differs, each
 * with its token heatmap when it is scored. Picked in the best-of-N view (src/ui/group).
 */
import { useMemo } from 'react';
import type { Message } from '../../core/trajectory/types';
import { alignFromSharedPrefix, stepTokenAdvantages, type ScoredStepTokens } from '../../core/compare';
import { heatmapColourRange } from '../../core/advantage/colour-range';
import type { TrajectoryEvaluation } from '../../core/scores/evaluate';
import { useAppStore, type LoadedTrajectory } from '../../state/store';
import { useScoringStore } from '../../state/scoring';
import { useAnalysis, useAnalysisStore } from '../../state/analysis';
import { closeTrajectoryComparison, useCompareStore } from '../../state/compare';
import type { ScoredTrajectory } from '../../core/scoring';
import { sameMessage } from '../group/divergence';
import { AdvantageLegend } from '../heatmap/Legend';
import { PlainMessage, ScoredTokenLine } from './ComparedTokens';
import '../curve/chart-theme.css';
import './compare.css';

interface Side {
  entry: LoadedTrajectory;
  steps: Map<number, ScoredStepTokens>;
  stepScoreOf: Map<number, number | null>;
  decisive: number | null;
}

function sideOf(entry: LoadedTrajectory, result: ScoredTrajectory | undefined, evaluation: TrajectoryEvaluation | undefined, beta: number, decisive: number | null): Side {
  const steps = new Map<number, ScoredStepTokens>();
  for (const step of result?.record.steps ?? []) steps.set(step.message, { message: step.message, texts: step.tokens ?? null, advantages: stepTokenAdvantages(step, beta, !result!.stepLevelOnly) });
  const stepScoreOf = new Map(evaluation?.record.steps.map((s, i) => [s.message, evaluation.stepScores[i]] as const) ?? []);
  return { entry, steps, stepScoreOf, decisive };
}

export function TrajectoryComparison() {
  const pair = useCompareStore((s) => s.trajectories);
  const entryA = useAppStore((s) => (pair ? s.trajectories[pair.a] : undefined));
  const entryB = useAppStore((s) => (pair ? s.trajectories[pair.b] : undefined));
  const resultA = useScoringStore((s) => (pair ? s.results[pair.a] : undefined));
  const resultB = useScoringStore((s) => (pair ? s.results[pair.b] : undefined));
  const { byKey } = useAnalysis();
  const beta = useAnalysisStore((s) => s.evaluation.beta);
  const predictor = useAnalysisStore((s) => s.predictor);
  const colourRangeMode = useAnalysisStore((s) => s.colourRangeMode);
  const colourRange = useAnalysisStore((s) => s.colourRange);
  const showWhitespace = useAnalysisStore((s) => s.showWhitespace);
  const alignment = useMemo(() => (entryA && entryB ? alignFromSharedPrefix(entryA.trajectory.messages, entryB.trajectory.messages, sameMessage) : null), [entryA, entryB]);
  const range = useMemo(
    () => heatmapColourRange({ colourRangeMode, colourRange }, [resultA, resultB].flatMap((r) => (r && !r.stepLevelOnly ? [r.record] : [])), beta),
    [resultA, resultB, colourRangeMode, colourRange, beta],
  );
  if (!pair || !entryA || !entryB || !alignment) return null;
  const evaluationA = byKey.get(pair.a);
  const evaluationB = byKey.get(pair.b);
  const a = sideOf(entryA, resultA, evaluationA, beta, evaluationA?.predicted[predictor] ?? null);
  const b = sideOf(entryB, resultB, evaluationB, beta, evaluationB?.predicted[predictor] ?? null);
  const branchRows = alignment.rows.filter((r) => r.kind === 'branch');
  return (
    <section className="trajectory-comparison" data-testid="trajectory-comparison" data-a={pair.a} data-b={pair.b} data-shared={alignment.sharedCount} aria-label="Two trajectories of one task">
      <header className="compare-header">
        <h2 className="pane-title">
          <span className="compare-key compare-key-a">A</span> {entryA.trajectory.id} · <span className="compare-key compare-key-b">B</span> {entryB.trajectory.id}
        </h2>
        <button type="button" data-testid="trajectory-compare-close" onClick={closeTrajectoryComparison}>
          Close the comparison
        </button>
      </header>
      <p className="muted" data-testid="trajectory-compare-summary">
        {alignment.identical
          ? `The two hold the same ${alignment.sharedCount} messages.`
          : `They share the first ${alignment.sharedCount} message${alignment.sharedCount === 1 ? '' : 's'} (shown once); from message ${alignment.sharedCount} they differ (side by side).`}
        {(!resultA || !resultB) && ` ${[!resultA ? 'A' : null, !resultB ? 'B' : null].filter(Boolean).join(' and ')} not scored: shown without heatmap.`}
      </p>
      {(resultA || resultB) && <AdvantageLegend range={range} />}
      <div data-testid="trajectory-compare-shared">
        {alignment.rows.map((row) => (row.kind === 'shared' ? <SideMessage key={row.message} side={a} label="A" index={row.message} range={range} showWhitespace={showWhitespace} decisiveOfB={b.decisive === row.message} /> : null))}
      </div>
      {branchRows.length > 0 && (
        <>
          <p className="compare-divider" data-testid="trajectory-compare-divergence" data-message={alignment.sharedCount}>
            They part ways at message {alignment.sharedCount}
          </p>
          <div className="compare-branches" data-testid="trajectory-compare-branches">
            <div className="compare-branch-head compare-key-a">A · {entryA.trajectory.id}</div>
            <div className="compare-branch-head compare-key-b">B · {entryB.trajectory.id}</div>
            {branchRows.flatMap((row, k) => [
              <div key={`a${k}`} data-testid="branch-a" data-message={row.a ?? ''}>
                {row.a === null ? <p className="compare-absent">A ends here</p> : <SideMessage side={a} label="A" index={row.a} range={range} showWhitespace={showWhitespace} />}
              </div>,
              <div key={`b${k}`} data-testid="branch-b" data-message={row.b ?? ''}>
                {row.b === null ? <p className="compare-absent">B ends here</p> : <SideMessage side={b} label="B" index={row.b} range={range} showWhitespace={showWhitespace} />}
              </div>,
            ])}
          </div>
        </>
      )}
    </section>
  );
}

/** A message of one side; a shared message (shown once, with A's figures) also says when it is B's decisive step. */
function SideMessage({ side, label, index, range, showWhitespace, decisiveOfB = false }: { side: Side; label: 'A' | 'B'; index: number; range: number; showWhitespace: boolean; decisiveOfB?: boolean }) {
  const message: Message = side.entry.trajectory.messages[index];
  const step = side.steps.get(index);
  if (!step || (step.texts?.length ?? step.advantages?.length ?? 0) === 0) return <PlainMessage index={index} message={message} note={decisiveOfB ? '◆ B’s decisive step' : undefined} />;
  const score = side.stepScoreOf.get(index);
  return (
    <article className={`message role-${message.role}${side.decisive === index || decisiveOfB ? ' decisive' : ''}`} data-testid="compare-message" data-message={index} data-scored="true">
      <header className="message-header">
        <span className="message-index">#{index}</span>
        <span className={`role-badge role-badge-${message.role}`}>{message.role}</span>
        {message.name && <span className="agent-name">{message.name}</span>}
        {score !== undefined && score !== null && (
          <span className="step-score" data-value={score}>
            s = {score >= 0 ? '+' : ''}
            {score.toFixed(3)}
          </span>
        )}
        {side.decisive === index && <span className="decisive-badge">{decisiveOfB ? '◆ decisive step of A and B' : `◆ ${label}’s decisive step`}</span>}
        {decisiveOfB && side.decisive !== index && <span className="decisive-badge">◆ B’s decisive step</span>}
      </header>
      <ScoredTokenLine side={label} step={step} range={range} showWhitespace={showWhitespace} />
    </article>
  );
}
