import { useEffect } from 'react';
import { DropZone } from './files/DropZone';
import { FilePanel } from './files/FilePanel';
import { TrajectoryList } from './trajectories/TrajectoryList';
import { Transcript } from './transcript/Transcript';
import { ThemeToggle } from './theme/ThemeToggle';
import { loadExamples } from '../state/loadFiles';
import { useAppStore } from '../state/store';
import { ModelPanel } from './models/ModelPanel';
import { ScoringBar } from './scoring/ScoringBar';

export function App() {
  useEffect(() => {
    // The embedded examples are the starting point of a fresh session.
    void loadExamples();
  }, []);
  const selected = useAppStore((s) => (s.selectedKey ? s.trajectories[s.selectedKey] : undefined));

  return (
    <DropZone>
      <div className="app">
        <header className="app-header">
          <h1>Progress-advantage inspector</h1>
          <span className="app-subtitle">β·(log π<sub>θ</sub> − log π<sub>ref</sub>) per token, in your browser</span>
          <ThemeToggle />
        </header>
        <aside className="sidebar">
          <ModelPanel />
          <ScoringBar />
          <FilePanel />
          <TrajectoryList />
        </aside>
        <main className="main-pane">{selected ? <Transcript entry={selected} /> : <EmptyState />}</main>
      </div>
    </DropZone>
  );
}

function EmptyState() {
  return (
    <div className="empty-state">
      <p>Drop agent trajectory files anywhere on this page, or use “Open files…”.</p>
      <p className="muted">
        Read: OpenAI chat messages (JSON/JSONL), τ-bench and τ²-bench results, Who&amp;When logs, SWE-agent .traj,
        ShareGPT/AgentInstruct, OpenHands/SWE-Gym, Inspect AI eval logs.
      </p>
    </div>
  );
}
