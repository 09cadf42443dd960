import { useState } from 'react';
import { useAppStore } from '../../state/store';
import { usePersistenceStatus } from '../../state/persistence/status';
import { saveFailureText } from '../../state/persistence/records';
import { takeOverSession } from '../../state/persistence/session';
import { exportBundle } from '../share/exports';

/**
 * What the page says about saving the session: another tab keeps it (and taking it over), a write
 * that failed (with what the browser still holds, read back), and a way to keep everything the
 * tab has as an analysis bundle whenever the browser will not keep it.
 */
export function SavingNotices() {
  const phase = usePersistenceStatus((s) => s.phase);
  const otherTab = usePersistenceStatus((s) => s.otherTab);
  const saveFailure = usePersistenceStatus((s) => s.saveFailure);
  const takeOverNotice = usePersistenceStatus((s) => s.takeOverNotice);
  const storageNotice = usePersistenceStatus((s) => s.storageNotice);
  return (
    <>
      {storageNotice && (
        <p className="notice" role="status" data-testid="storage-notice">
          {storageNotice}
        </p>
      )}
      {saveFailure && (
        <div className="notice" role="alert" data-testid="save-failure" data-kind={saveFailure.kind}>
          <p>{saveFailureText(saveFailure)}</p>
          <DownloadSession />
        </div>
      )}
      {(phase === 'another-tab' || phase === 'taking-over') && (
        <div className="notice" role="status" data-testid="another-tab" data-why={otherTab ?? ''}>
          <p>
            {phase === 'taking-over'
              ? 'Taking the session over: the other tab saves what it has and stops saving…'
              : otherTab === 'took-it'
                ? 'Another tab took this session over: what you do here is no longer saved.'
                : 'This session is open in another tab, which keeps it: what you do here is not saved.'}{' '}
            Taking it over here makes the other tab save and stop; this tab then shows the saved session, with the files and scores
            you added here.
          </p>
          <button type="button" data-testid="take-over" disabled={phase === 'taking-over'} onClick={() => void takeOverSession()}>
            Take over here
          </button>{' '}
          <DownloadSession />
        </div>
      )}
      {takeOverNotice && (
        <p className="notice" role="status" data-testid="take-over-notice">
          {takeOverNotice}{' '}
          <button type="button" className="link-button" onClick={() => usePersistenceStatus.setState({ takeOverNotice: null })}>
            dismiss
          </button>
        </p>
      )}
    </>
  );
}

/** Saves everything this tab has (every open trajectory, its scores, the settings) as an analysis bundle. */
function DownloadSession() {
  const order = useAppStore((s) => s.trajectoryOrder);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        data-testid="download-session"
        disabled={order.length === 0}
        title="An analysis bundle of every open trajectory with its scores and the settings; open it again with Open files…"
        onClick={() => {
          try {
            exportBundle(useAppStore.getState().trajectoryOrder, 'session');
            setProblem(null);
          } catch (error) {
            setProblem(error instanceof Error ? error.message : String(error));
          }
        }}
      >
        Download the session as a bundle
      </button>
      {problem && <span data-testid="download-session-problem"> The bundle could not be made: {problem}</span>}
    </>
  );
}
