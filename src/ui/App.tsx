import { useCallback, useEffect, useState } from 'react';
import { DropZone } from './files/DropZone';
import { FilePanel } from './files/FilePanel';
import { TrajectoryList } from './trajectories/TrajectoryList';
import { Transcript } from './transcript/Transcript';
import { ThemeToggle } from './theme/ThemeToggle';
import { ModelPanel } from './models/ModelPanel';
import { ScoringBar } from './scoring/ScoringBar';
import { SettingsPanel } from './settings/SettingsPanel';
import { StepCurve } from './curve/StepCurve';
import { GroupView } from './group/GroupView';
import { DatasetView } from './dataset/DatasetView';
import { HelpDialog } from './help/HelpDialog';
import { useKeyboardShortcuts } from './keyboard/use-keyboard-shortcuts';
import { SessionPanel } from './session/SessionPanel';
import { FirstVisitHint } from './help/FirstVisitHint';
import { reopenDemo } from '../state/first-visit';
import { startSession } from '../state/persistence/session';
import { useAppStore } from '../state/store';
import { ShareMenu } from './share/ShareMenu';
import { SnippetView } from './share/SnippetView';
import { useSnippetHash } from './share/use-snippet-hash';
import { SearchPanel } from './search/SearchPanel';
import { ScoringComparison } from './compare/ScoringComparison';
import { useCompareStore } from '../state/compare';

export function App() {
  const snippetHash = useSnippetHash();
  // A snippet link (#snippet=…) shows the step it carries on its own: no files, no models.
  if (snippetHash !== null) return <SnippetView hash={snippetHash} />;
  return <Inspector />;
}

function Inspector() {
  useEffect(() => {
    // The saved session comes back; a fresh one starts with the embedded examples.
    void startSession();
  }, []);
  const selected = useAppStore((s) => (s.selectedKey ? s.trajectories[s.selectedKey] : undefined));
  const tab = useAppStore((s) => s.activeTab);
  const setTab = useAppStore((s) => s.setActiveTab);
  const [helpOpen, setHelpOpen] = useState(false);
  const toggleHelp = useCallback(() => setHelpOpen((open) => !open), []);
  const closeHelp = useCallback(() => setHelpOpen(false), []);
  useKeyboardShortcuts(toggleHelp, closeHelp);
  const taskId = selected?.trajectory.taskId;
  // "Compare scorings…" (src/ui/compare) takes the place of the curve and transcript of the trajectory it compares.
  const comparing = useCompareStore((s) => s.scorings !== null && s.scorings.key === selected?.key);

  return (
    <DropZone>
      <div className="app">
        <header className="app-header">
          <h1>Progress-advantage inspector</h1>
          <span className="app-subtitle">
            β·(log π<sub>θ</sub> − log π<sub>ref</sub>) per token, in your browser
          </span>
          <button type="button" data-testid="help-button" onClick={toggleHelp} aria-label="Help (?)">
            ? Help
          </button>
          <ShareMenu />
          <ThemeToggle />
        </header>
        <aside className="sidebar">
          <ModelPanel />
          <ScoringBar />
          <SessionPanel />
          <FilePanel />
          <TrajectoryList />
        </aside>
        <main className="main-pane">
          <SettingsPanel />
          <nav className="tabs" role="tablist" aria-label="Views">
            {(
              [
                ['trajectory', 'Trajectory'],
                ['group', `Best-of-N group${taskId !== undefined ? ` (task ${taskId})` : ''}`],
                ['dataset', 'Dataset'],
              ] as const
            ).map(([id, label]) => (
              <button key={id} type="button" role="tab" aria-selected={tab === id} data-testid={`tab-${id}`} onClick={() => setTab(id)}>
                {label}
              </button>
            ))}
          </nav>
          <div className="tab-body">
            {tab === 'trajectory' &&
              (selected ? (
                <>
                  <FirstVisitHint entryKey={selected.key} />
                  {comparing ? (
                    <ScoringComparison />
                  ) : (
                    <>
                      <SearchPanel />
                      <StepCurve entryKey={selected.key} />
                      <Transcript entry={selected} />
                    </>
                  )}
                </>
              ) : (
                <EmptyState />
              ))}
            {tab === 'group' &&
              (taskId !== undefined ? <GroupView taskId={taskId} /> : <p className="empty-state">The selected trajectory has no task id, so it has no best-of-N group.</p>)}
            {tab === 'dataset' && <DatasetView />}
          </div>
        </main>
      </div>
      {helpOpen && <HelpDialog onClose={closeHelp} />}
    </DropZone>
  );
}

function EmptyState() {
  const noFiles = useAppStore((s) => s.files.length === 0);
  const [opening, setOpening] = useState(false);
  return (
    <div className="empty-state">
      <p>Drop agent trajectory files anywhere on this page, or use “Open files…”.</p>
      {noFiles && (
        <p data-testid="demo-offer">
          Or see the method at work on the embedded demo: its episodes, scored here by the demo pair.{' '}
          <button
            type="button"
            data-testid="open-demo"
            disabled={opening}
            onClick={() => {
              setOpening(true);
              void reopenDemo().finally(() => setOpening(false));
            }}
          >
            Open the demo
          </button>
        </p>
      )}
      <p className="muted">
        Read: OpenAI chat messages (JSON/JSONL), τ-bench and τ²-bench results, Who&amp;When logs, SWE-agent .traj, ShareGPT/AgentInstruct,
        OpenHands/SWE-Gym, Inspect AI eval logs.
      </p>
    </div>
  );
}
