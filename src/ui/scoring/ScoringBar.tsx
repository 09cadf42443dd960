import { useScoringStore, scoreTrajectories, cancelScoring } from '../../state/scoring';
import { useAppStore } from '../../state/store';
import { listedKeysInLoadOrder, useVisibleKeys } from '../../state/list-view';
import { ScoringProblems } from './ScoringProblems';
import { plural } from '../plural';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Score the selected one / the listed ones, with tokens done/total, tokens per second, time left, and cancel. */
export function ScoringBar() {
  const modelState = useScoringStore((s) => s.modelState);
  const job = useScoringStore((s) => s.job);
  const selectedKey = useAppStore((s) => s.selectedKey);
  // The listed trajectories (the list's filters), in load order: what "Score listed" scores.
  const visible = useVisibleKeys();
  const order = useAppStore((s) => s.trajectoryOrder);
  const count = visible.length;
  const ready = modelState === 'ready';
  const running = job?.running ?? false;
  const p = job?.progress;
  const rate = p && p.elapsedMs > 0 ? (p.tokensDone / p.elapsedMs) * 1000 : 0;
  const left = p && rate > 0 ? ((p.tokensTotal - p.tokensDone) / rate) * 1000 : Number.NaN;

  return (
    <section className="scoring-bar" aria-label="Scoring">
      <button type="button" data-testid="score-selected" disabled={!ready || running || !selectedKey} onClick={() => selectedKey && void scoreTrajectories([selectedKey])}>
        Score this
      </button>
      <button
        type="button"
        data-testid="score-all"
        data-count={count}
        title={count === order.length ? 'Score every listed trajectory' : `Score the ${count} listed trajectories (the list's filters leave out ${order.length - count} of ${order.length} loaded)`}
        disabled={!ready || running || count === 0}
        onClick={() => void scoreTrajectories(listedKeysInLoadOrder(order, visible))}
      >
        Score listed ({count})
      </button>
      {running && (
        <button type="button" data-testid="cancel-scoring" onClick={() => void cancelScoring()}>
          Cancel
        </button>
      )}
      {job && (
        <div
          className="scoring-progress"
          data-testid="scoring-progress"
          data-running={running}
          data-done={p?.trajectoriesDone ?? 0}
          data-total={p?.trajectoriesTotal ?? 0}
          data-reused={job.reused}
        >
          <progress max={p?.tokensTotal || 1} value={p?.tokensDone ?? 0} />
          <span>
            {p ? `${p.trajectoriesDone}/${plural(p.trajectoriesTotal, 'trajectory')} · ${integer.format(p.tokensDone)}/${integer.format(p.tokensTotal)} tokens` : 'starting…'}
            {job.reused > 0 && ` · ${job.reused} from the score cache`}
            {running && rate > 0 && ` · ${integer.format(rate)} tokens/s · ${formatDuration(left)} left`}
            {!running && (job.cancelled ? ' · cancelled' : ' · done')}
          </span>
          <ScoringProblems />
        </div>
      )}
    </section>
  );
}
