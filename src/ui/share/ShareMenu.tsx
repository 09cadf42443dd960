/**
 * The header's Share / export menu: analysis bundles (all, the listed ones, the selected one) and
 * opening one, HTML reports, images of the selected trajectory and of the dataset, and the snippet
 * link of the selected step. Everything shown here is text (React text nodes), links included.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useAppStore } from '../../state/store';
import { useScoringStore } from '../../state/scoring';
import { useLinkedViewStore } from '../../state/analysis';
import { useVisibleKeys } from '../../state/list-view';
import { importBundle } from '../../state/bundles';
import { SWEEP_METRICS, type SweepMetric } from '../../core/scores/evaluate';
import { exportBundle, exportCurveImage, exportHeatmapImage, exportNotes, exportReport, exportRocImage, exportSweepImage, importNotesFile, type ImageFormat } from './exports';
import { useNotesStore } from '../../state/notes';
import { reportShareOutcome, runShareAction, setShareMenuOpen, shareStepSnippet, useShareUiStore } from './share-ui-store';
import { SWEEP_METRIC_WORDS } from './describe';
import './share.css';
import { plural } from '../plural';

export function ShareMenu() {
  const open = useShareUiStore((s) => s.open);
  const frame = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setShareMenuOpen(false);
    };
    const onPointer = (e: PointerEvent) => {
      if (frame.current && !frame.current.contains(e.target as Node)) setShareMenuOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  return (
    <div className="share-menu-frame" ref={frame}>
      <button type="button" data-testid="share-menu-button" aria-haspopup="dialog" aria-expanded={open} onClick={() => setShareMenuOpen(!open)}>
        Share / export
      </button>
      {open && <SharePanel />}
    </div>
  );
}

function SharePanel() {
  const order = useAppStore((s) => s.trajectoryOrder);
  const selectedKey = useAppStore((s) => s.selectedKey);
  const selected = useAppStore((s) => (s.selectedKey ? s.trajectories[s.selectedKey] : undefined));
  const selectedResult = useScoringStore((s) => (selectedKey ? s.results[selectedKey] : undefined));
  const scoredCount = useScoringStore((s) => Object.keys(s.results).length);
  const visible = useVisibleKeys();
  const selectedStep = useLinkedViewStore((s) => (s.selected && s.selected.key === selectedKey ? s.selected.message : null));
  const { snippet, status } = useShareUiStore();
  const [metric, setMetric] = useState<SweepMetric>('auroc');
  const noteCount = useNotesStore((s) => Object.keys(s.notes).length);
  const stepCount = selected?.trajectory.actionSteps.length ?? 0;
  const selectedStepNumber = selected && selectedStep !== null ? selected.trajectory.actionSteps.indexOf(selectedStep) + 1 : 0;
  const image = (format: ImageFormat, make: (format: ImageFormat) => Promise<void>, what: string) => void runShareAction(() => make(format), `Saved ${what} as ${format.toUpperCase()}.`);

  return (
    <div className="share-menu" role="dialog" aria-label="Share and export" data-testid="share-menu">
      <section>
        <h3>Analysis bundle</h3>
        <p className="muted">Trajectories, scores, labels and settings in one compressed file; opens with no model.</p>
        <div className="share-row">
          <button type="button" data-testid="export-bundle-all" disabled={order.length === 0} onClick={() => void runShareAction(() => exportBundle(order, 'analysis'), `Saved a bundle of ${plural(order.length, 'trajectory')}.`)}>
            All loaded ({order.length})
          </button>
          <button type="button" data-testid="export-bundle-visible" disabled={visible.length === 0} onClick={() => void runShareAction(() => exportBundle(visible, 'listed'), `Saved a bundle of ${plural(visible.length, 'trajectory')}.`)}>
            Listed ({visible.length})
          </button>
          <button
            type="button"
            data-testid="export-bundle-selected"
            disabled={!selected}
            onClick={() => selected && void runShareAction(() => exportBundle([selected.key], selected.trajectory.id), 'Saved a bundle of the selected trajectory.')}
          >
            Selected
          </button>
          <OpenFileButton
            testId="open-bundle"
            inputTestId="open-bundle-input"
            accept=".gz,.json,application/gzip"
            onFile={(file) => void runShareAction(() => importBundle(file.name, file), `Opened ${file.name} (see the file list).`)}
          >
            Open a bundle…
          </OpenFileButton>
        </div>
      </section>
      <section>
        <h3>HTML report</h3>
        <p className="muted">One offline file: heatmaps, curves, decisive steps and settings, readable in any browser.</p>
        <div className="share-row">
          <button type="button" data-testid="export-report-selected" disabled={!selected} onClick={() => selected && void runShareAction(() => exportReport([selected.key]), 'Saved the report.')}>
            Selected trajectory
          </button>
          <button type="button" data-testid="export-report-visible" disabled={visible.length === 0} onClick={() => void runShareAction(() => exportReport(visible), `Saved a report of ${plural(visible.length, 'trajectory')}.`)}>
            Listed trajectories ({visible.length})
          </button>
        </div>
      </section>
      <section>
        <h3>Images</h3>
        <div className="share-row">
          <span>Step curve</span>
          {(['svg', 'png'] as const).map((f) => (
            <button key={f} type="button" data-testid={`menu-export-curve-${f}`} disabled={!selectedResult} onClick={() => selected && image(f, (format) => exportCurveImage(selected.key, format), 'the step curve')}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
        <div className="share-row">
          <span>Heatmap of {selectedStepNumber > 0 ? `step ${selectedStepNumber}` : stepCount === 1 ? 'its one step' : `all ${stepCount} steps`}</span>
          {(['svg', 'png'] as const).map((f) => (
            <button
              key={f}
              type="button"
              data-testid={`menu-export-heatmap-${f}`}
              disabled={!selectedResult}
              onClick={() =>
                selected &&
                image(f, (format) => exportHeatmapImage(selected.key, selectedStepNumber || 1, selectedStepNumber || stepCount, format), 'the heatmap')
              }
            >
              {f.toUpperCase()}
            </button>
          ))}
        </div>
        <div className="share-row">
          <span>ROC curve</span>
          {(['svg', 'png'] as const).map((f) => (
            <button key={f} type="button" data-testid={`menu-export-roc-${f}`} disabled={scoredCount === 0} onClick={() => image(f, exportRocImage, 'the ROC curve')}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
        <div className="share-row">
          <label>
            Sweep of{' '}
            <select data-testid="menu-sweep-metric" value={metric} onChange={(e) => setMetric(e.currentTarget.value as SweepMetric)}>
              {SWEEP_METRICS.map((m) => (
                <option key={m} value={m}>
                  {SWEEP_METRIC_WORDS[m]}
                </option>
              ))}
            </select>
          </label>
          {(['svg', 'png'] as const).map((f) => (
            <button key={f} type="button" data-testid={`menu-export-sweep-${f}`} disabled={scoredCount === 0} onClick={() => image(f, (format) => exportSweepImage(metric, format), 'the sweep table')}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
      </section>
      <section>
        <h3>Notes</h3>
        <p className="muted">Your notes on steps and tokens as JSON Lines (trajectory id, message, token range, text, tags, time); import adds them to the loaded trajectories.</p>
        <div className="share-row">
          <button
            type="button"
            data-testid="export-notes"
            disabled={noteCount === 0}
            onClick={() => void runShareAction(() => void exportNotes(order), `Saved ${plural(noteCount, 'note')} as notes.jsonl.`)}
          >
            Export notes ({noteCount})
          </button>
          <OpenFileButton testId="import-notes" inputTestId="import-notes-input" accept=".jsonl,.json,.txt,application/x-ndjson" onFile={(file) => void importNotesInto(file)}>
            Import notes…
          </OpenFileButton>
        </div>
      </section>
      <section>
        <h3>Snippet link</h3>
        <p className="muted">One step's tokens and values inside the link itself: opens with no file and no model.</p>
        <div className="share-row">
          <button
            type="button"
            data-testid="share-snippet"
            disabled={!selected || selectedStep === null}
            title={selectedStep === null ? 'Choose a step first (click its step badge or its bar on the curve)' : undefined}
            onClick={() => selected && selectedStep !== null && shareStepSnippet(selected.key, selectedStep)}
          >
            {selectedStepNumber > 0 ? `Link to step ${selectedStepNumber}` : 'Link to the chosen step'}
          </button>
          {selectedStep === null && <span className="muted">choose a step first</span>}
        </div>
        {snippet && <SnippetLinkBox />}
      </section>
      {status && (
        <p className={status.kind === 'error' ? 'share-error' : 'share-done'} role={status.kind === 'error' ? 'alert' : 'status'} data-testid="share-status" data-kind={status.kind}>
          {status.text}
        </p>
      )}
    </div>
  );
}

/** Imports a notes file and says what it added; every line it could not use is listed with its reason. */
async function importNotesInto(file: File): Promise<void> {
  try {
    const outcome = await importNotesFile(file);
    const parts = [`Added ${plural(outcome.added, 'note')} from ${file.name}`];
    if (outcome.duplicates > 0) parts.push(`${plural(outcome.duplicates, 'note')} already there`);
    const said = `${parts.join('; ')}.`;
    if (outcome.errors.length > 0) reportShareOutcome('error', `${said} Not added: ${outcome.errors.join('; ')}`);
    else reportShareOutcome('done', said);
  } catch (error) {
    reportShareOutcome('error', error instanceof Error ? error.message : String(error));
  }
}

interface OpenFileButtonProps {
  testId: string;
  inputTestId: string;
  accept: string;
  onFile: (file: File) => void;
  children: ReactNode;
}

/** A button that opens the file chooser through a hidden file input; the input is cleared after each choice, so the same file can be chosen again. */
function OpenFileButton({ testId, inputTestId, accept, onFile, children }: OpenFileButtonProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" data-testid={testId} onClick={() => input.current?.click()}>
        {children}
      </button>
      <input
        ref={input}
        type="file"
        hidden
        data-testid={inputTestId}
        accept={accept}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (file) onFile(file);
        }}
      />
    </>
  );
}

function SnippetLinkBox() {
  const snippet = useShareUiStore((s) => s.snippet)!;
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <div className="snippet-link" data-testid="snippet-link">
      <p>
        Step {snippet.stepNumber} of {snippet.trajectoryId}: {snippet.url.length.toLocaleString('en-US')} characters
        {snippet.keptTokens < snippet.totalTokens && (
          <span data-testid="snippet-note">
            {' '}
            · the first {snippet.keptTokens} of {snippet.totalTokens} tokens (links are bounded)
          </span>
        )}
      </p>
      <input readOnly data-testid="snippet-url" value={snippet.url} onFocus={(e) => e.currentTarget.select()} aria-label="Snippet link" />
      <button
        type="button"
        data-testid="copy-snippet"
        onClick={() =>
          navigator.clipboard
            .writeText(snippet.url)
            .then(() => setCopied('yes'))
            .catch(() => setCopied('no'))
        }
      >
        Copy
      </button>
      {copied === 'yes' && <span className="share-done">copied</span>}
      {copied === 'no' && <span className="muted">the browser refused the clipboard: select the link and copy it</span>}
    </div>
  );
}
