import { useMemo, useState } from 'react';
import { useAppStore } from '../../state/store';
import { canLoadChoice, dismissInterruptedJob, interruptedJobLeft, resumeInterruptedJob, useScoringStore } from '../../state/scoring';
import { usePersistenceStatus } from '../../state/persistence/status';
import { clearSession } from '../../state/persistence/session';
import { dismissViewLinkNotice, useViewLinkStore } from '../../state/permalink';
import { plural } from '../plural';
import { SavingNotices } from './SavingNotices';

/**
 * What the page says about the session: saving (another tab, a failed write), the link it was
 * opened with, an interrupted scoring job (and how it resumes), and the model folders to pick again.
 */
export function SessionPanel() {
  const linkNotice = useViewLinkStore((s) => s.notice);
  const linkPending = useViewLinkStore((s) => s.pending !== null);
  const phase = usePersistenceStatus((s) => s.phase);
  return (
    <section className="session-panel" aria-label="Session" data-testid="session-panel" data-phase={phase}>
      <SavingNotices />
      {linkNotice && (
        <p className="notice" role="status" data-testid="link-notice" data-pending={linkPending}>
          {linkNotice}{' '}
          <button type="button" className="link-button" onClick={dismissViewLinkNotice}>
            dismiss
          </button>
        </p>
      )}
      <InterruptedJob />
      <FoldersToPickAgain />
    </section>
  );
}

function InterruptedJob() {
  const pendingJob = useScoringStore((s) => s.pendingJob);
  const job = useScoringStore((s) => s.job);
  const results = useScoringStore((s) => s.results);
  const modelState = useScoringStore((s) => s.modelState);
  const loadedPair = useScoringStore((s) => s.loadedPair);
  const choice = useScoringStore((s) => s.choice);
  const trajectories = useAppStore((s) => s.trajectories);
  // A closed file shrinks what is left.
  const left = useMemo(() => interruptedJobLeft({ pendingJob, job, results }, trajectories).length, [pendingJob, job, results, trajectories]);
  if (!pendingJob || left === 0) return null;
  const samePairLoaded = modelState === 'ready' && loadedPair?.key === pendingJob.pairKey && loadedPair.dtype === pendingJob.dtype;
  const otherPairLoaded = modelState === 'ready' && !samePairLoaded;
  const canResume = samePairLoaded || (!otherPairLoaded && modelState !== 'loading' && canLoadChoice(choice));
  const how = samePairLoaded
    ? 'The pair is loaded: resuming scores only what is left.'
    : otherPairLoaded
      ? `Another pair is loaded; the job needs ${pendingJob.pairLabel} (${pendingJob.dtype}). Load that pair to resume.`
      : canLoadChoice(choice)
        ? `Resuming loads ${pendingJob.pairLabel} (${pendingJob.dtype}) first, then scores only what is left.`
        : `Pick the model folders again and load them: scoring resumes by itself once the same pair (${pendingJob.pairLabel}, ${pendingJob.dtype}) is loaded.`;
  return (
    <div className="notice interrupted-job" role="status" data-testid="interrupted-job" data-left={left}>
      <p>
        Scoring was interrupted: {left} of {plural(pendingJob.keys.length, 'trajectory')} left. {how}
      </p>
      <button type="button" data-testid="resume-scoring" disabled={!canResume} onClick={() => void resumeInterruptedJob()}>
        Resume scoring ({left} left)
      </button>{' '}
      <button type="button" className="link-button" data-testid="dismiss-interrupted-job" onClick={dismissInterruptedJob}>
        forget it
      </button>
    </div>
  );
}

function FoldersToPickAgain() {
  const remembered = useScoringStore((s) => s.rememberedFolders);
  const choice = useScoringStore((s) => s.choice);
  if (!remembered || choice.kind !== 'folders' || (choice.policy && choice.reference)) return null;
  const names = [remembered.policy && `policy “${remembered.policy}”`, remembered.reference && `reference “${remembered.reference}”`].filter(Boolean).join(' and ');
  if (!names) return null;
  return (
    <p className="notice" role="status" data-testid="folders-to-pick">
      This session used the model folders {names}. Browsers do not keep dropped folders: pick them again to score.
    </p>
  );
}

/** "Clear session", with a confirm step: everything kept in this browser goes. */
export function ClearSessionControl() {
  const [confirming, setConfirming] = useState(false);
  const [clearing, setClearing] = useState(false);
  // Only the tab that keeps the session clears it: another tab would empty what that one is writing.
  const elsewhere = usePersistenceStatus((s) => s.phase === 'another-tab' || s.phase === 'taking-over');
  if (!confirming || elsewhere)
    return (
      <button
        type="button"
        data-testid="clear-session"
        disabled={elsewhere}
        onClick={() => setConfirming(true)}
        title={elsewhere ? 'Another tab keeps this session: take it over here to clear it' : 'Close every file and forget scores and settings kept in this browser'}
      >
        Clear session…
      </button>
    );
  return (
    <span className="clear-session-confirm" role="group" aria-label="Confirm clearing the session">
      <span>Close all files and delete the saved scores and settings?</span>{' '}
      <button
        type="button"
        data-testid="clear-session-confirm"
        disabled={clearing}
        onClick={() => {
          setClearing(true);
          void clearSession().finally(() => {
            setClearing(false);
            setConfirming(false);
          });
        }}
      >
        Clear
      </button>{' '}
      <button type="button" data-testid="clear-session-cancel" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}
