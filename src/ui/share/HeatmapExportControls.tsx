import { useState } from 'react';
import type { LoadedTrajectory } from '../../state/store';
import { useLinkedViewStore } from '../../state/analysis';
import { ImageExportButtons } from './ImageExportButtons';
import { exportHeatmapImage, exportReport } from './exports';
import './share.css';

/**
 * Image export of the token heatmap over a range of steps (default: the selected step, else all
 * steps), and the HTML report of this trajectory.
 */
export function HeatmapExportControls({ entry }: { entry: LoadedTrajectory }) {
  const stepCount = entry.trajectory.actionSteps.length;
  const selectedMessage = useLinkedViewStore((s) => (s.selected?.key === entry.key ? s.selected.message : null));
  const selectedStep = selectedMessage === null ? 0 : entry.trajectory.actionSteps.indexOf(selectedMessage) + 1;
  // The user's own range, once they type one; until then it follows the selection.
  const [typed, setTyped] = useState<{ key: string; from: number; to: number } | null>(null);
  const range = typed?.key === entry.key ? typed : selectedStep > 0 ? { from: selectedStep, to: selectedStep } : { from: 1, to: stepCount };
  const [reportError, setReportError] = useState<string | null>(null);
  if (stepCount === 0) return null;
  const clamp = (n: number) => Math.min(stepCount, Math.max(1, Math.round(n) || 1));
  return (
    <div className="heatmap-export" data-testid="heatmap-export">
      <span className="muted">Heatmap of steps</span>
      <input
        type="number"
        data-testid="heatmap-from"
        aria-label="first step"
        min={1}
        max={stepCount}
        value={range.from}
        onChange={(e) => setTyped({ key: entry.key, from: clamp(Number(e.currentTarget.value)), to: Math.max(range.to, clamp(Number(e.currentTarget.value))) })}
      />
      <span className="muted">to</span>
      <input
        type="number"
        data-testid="heatmap-to"
        aria-label="last step"
        min={1}
        max={stepCount}
        value={range.to}
        onChange={(e) => setTyped({ key: entry.key, from: Math.min(range.from, clamp(Number(e.currentTarget.value))), to: clamp(Number(e.currentTarget.value)) })}
      />
      <ImageExportButtons testIdPrefix="export-heatmap" label={`the heatmap of steps ${range.from}–${range.to}`} onExport={(format) => exportHeatmapImage(entry.key, range.from, range.to, format)} />
      <button
        type="button"
        className="link-button"
        data-testid="export-report-trajectory"
        onClick={() => {
          try {
            setReportError(null);
            exportReport([entry.key]);
          } catch (e) {
            setReportError(e instanceof Error ? e.message : String(e));
          }
        }}
      >
        HTML report
      </button>
      {reportError && (
        <span className="share-error" role="alert">
          {reportError}
        </span>
      )}
    </div>
  );
}
