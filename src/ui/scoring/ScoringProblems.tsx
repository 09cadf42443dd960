import { useMemo } from 'react';
import { scoreTrajectories, useScoringStore } from '../../state/scoring';
import { useAppStore } from '../../state/store';
import { summariseScoringProblems, type ProblemSummary } from './scoring-problems';

/**
 * What went wrong in the scoring job, one line per cause with its count and the action that fixes
 * it; each trajectory (named by file and id) with its own message behind a disclosure.
 */
export function ScoringProblems() {
  const job = useScoringStore((s) => s.job);
  const results = useScoringStore((s) => s.results);
  const running = job?.running ?? false;
  const trajectories = useAppStore((s) => s.trajectories);
  const summaries = useMemo(() => {
    const notScored = Object.values(results).map((r) => ({ key: r.key, notScored: r.notScored }));
    const nameOf = (key: string) => {
      const entry = trajectories[key];
      return entry ? `${entry.fileName} · ${entry.trajectory.id}` : key;
    };
    return summariseScoringProblems(job?.errors ?? [], notScored, nameOf);
  }, [job?.errors, results, trajectories]);
  if (summaries.length === 0) return null;
  return (
    <ul className="scoring-problems" data-testid="scoring-problems">
      {summaries.map((summary) => (
        <ProblemLine key={summary.cause} summary={summary} disabled={running} />
      ))}
    </ul>
  );
}

function ProblemLine({ summary, disabled }: { summary: ProblemSummary; disabled: boolean }) {
  const keys = [...new Set(summary.items.map((i) => i.key).filter((k) => k !== ''))];
  return (
    <li className={`scoring-problem scoring-problem-${summary.cause}`} data-testid="scoring-problem" data-cause={summary.cause} data-count={summary.count}>
      <span className="scoring-problem-text">{summary.text}</span>
      {summary.action === 'score-plain' && keys.length > 0 && (
        <>
          {' — '}
          <button type="button" className="link-button" data-testid="score-plain" disabled={disabled} onClick={() => void scoreTrajectories(keys, 'plain')}>
            score them in plain mode
          </button>
        </>
      )}
      {summary.action === 'longer-context' && <span className="muted"> — load a pair with a longer context to score those steps</span>}
      <details className="scoring-problem-list">
        <summary>which ones</summary>
        <ul>
          {summary.items.map((item, i) => (
            <li key={i} className="file-error" data-testid={summary.cause === 'context-limit' ? 'scoring-not-scored' : 'scoring-error'} data-key={item.key}>
              <strong>{item.name}</strong>: {item.message}
            </li>
          ))}
        </ul>
      </details>
    </li>
  );
}
