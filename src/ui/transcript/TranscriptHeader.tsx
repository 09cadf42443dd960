import { useMemo, type ReactNode } from 'react';
import type { Trajectory } from '../../core/trajectory/types';
import type { TrajectoryEvaluation } from '../../core/scores/evaluate';
import { describeTrajectory } from '../../core/trajectory/describe';
import { formatReward } from '../format';
import { openScoringComparison } from '../../state/compare';

/** The header of a transcript: what the file says about the trajectory, its task and its label, and its scores. */
export function TranscriptHeader({
  entryKey,
  trajectory: t,
  fileName,
  evaluation,
  decisive,
  predictor,
}: {
  /** The trajectory's key: "Compare scorings…" opens the comparison of its scorings (src/ui/compare). */
  entryKey?: string;
  trajectory: Trajectory;
  fileName: string;
  evaluation: TrajectoryEvaluation | undefined;
  decisive: number | null;
  predictor: string;
}) {
  const { reward, success, mistakeStep, mistakeAgent } = t.labels;
  const described = useMemo(() => describeTrajectory(t), [t]);
  return (
    <header className="transcript-header">
      <h2 className="pane-title">{t.id}</h2>
      {entryKey !== undefined && evaluation && (
        <button type="button" className="link-button" data-testid="compare-scorings" title="Compare two scorings of this trajectory side by side" onClick={() => void openScoringComparison(entryKey)}>
          Compare scorings…
        </button>
      )}
      <dl className="facts">
        <Fact label="file">{fileName}</Fact>
        <Fact label="format">{t.format}</Fact>
        {t.taskId !== undefined && <Fact label="task">{t.taskId}</Fact>}
        <Fact label="messages">{t.messages.length}</Fact>
        <Fact label="action steps">{t.actionSteps.length}</Fact>
        {reward !== undefined && <Fact label="reward">{formatReward(reward)}</Fact>}
        {success !== undefined && <Fact label="outcome">{success ? 'success' : 'failure'}</Fact>}
        {mistakeStep !== undefined && (
          <Fact label="labelled mistake">
            message {mistakeStep}
            {mistakeAgent ? ` by ${mistakeAgent}` : ''}
          </Fact>
        )}
        {described.facts.map((fact) => (
          <Fact key={fact.key} label={fact.label} long ddProps={{ 'data-testid': 'trajectory-fact', 'data-fact': fact.key }}>
            {fact.value}
          </Fact>
        ))}
        {evaluation && (
          <Fact label="score" ddProps={{ 'data-testid': 'transcript-score', 'data-value': evaluation.score ?? '' }}>
            {evaluation.score === null ? '—' : evaluation.score.toFixed(4)}
          </Fact>
        )}
        {evaluation && (
          <Fact label={`decisive step (${predictor})`} ddProps={{ 'data-testid': 'transcript-decisive', 'data-message': decisive ?? '' }}>
            {decisive === null ? '—' : `message ${decisive}`}
          </Fact>
        )}
      </dl>
    </header>
  );
}

/** One fact, its label kept on the line of its value (a long value wraps under its label as a block). */
function Fact({ label, children, long = false, ddProps }: { label: string; children: ReactNode; long?: boolean; ddProps?: Record<string, string | number> }) {
  return (
    <div className={`fact${long ? ' fact-long' : ''}`}>
      <dt>{label}</dt>
      <dd {...ddProps}>{children}</dd>
    </div>
  );
}
