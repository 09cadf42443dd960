/**
 * The step-evolution curve of one trajectory: a bar per action step (its step score), the running
 * advantage as a line, the predicted decisive step and the labelled mistake marked, and optionally
 * the running advantage of the other trajectories of the same task. Linked with the transcript
 * through the linked-view store: hover and click here set the step there, and the other way round.
 */
import { useMemo, type KeyboardEvent } from 'react';
import { useAppStore } from '../../state/store';
import { hoverStep, selectStep, setOverlay, useAnalysis, useAnalysisStore, useLinkedViewStore, type StepFocus } from '../../state/analysis';
import type { FailurePredictor } from '../../core/metrics/failure';
import { buildCurveModel, overlayColour, type CurveModel, type OverlaySeries, type StepMark } from './curve-model';
import { useElementWidth } from './use-element-width';
import { ImageExportButtons } from '../share/ImageExportButtons';
import { exportCurveImage } from '../share/exports';
import { formatSigned } from '../dataset/format-metric';
import { methodLabel, type MethodLabel } from '../../core/advantage';
import './chart-theme.css';
import './curve.css';
import { plural } from '../plural';
import { useTrajectoryNotes } from '../../state/notes';
import '../notes/notes.css';

const CURVE_HEIGHT = 240;
const DEFAULT_WIDTH = 640;

const PREDICTOR_LABELS: Record<FailurePredictor, string> = {
  min_cumulative: 'lowest running advantage',
  sharpest_drop: 'lowest step score',
  sharpest_abs_drop: 'sharpest fall between steps',
};

export function StepCurve({ entryKey }: { entryKey: string }) {
  const entry = useAppStore((s) => s.trajectories[entryKey]);
  const order = useAppStore((s) => s.trajectoryOrder);
  const { byKey } = useAnalysis();
  const predictor = useAnalysisStore((s) => s.predictor);
  const unscoredPolicy = useAnalysisStore((s) => s.evaluation.unscored);
  const method = useAnalysisStore((s) => s.evaluation.method);
  const mode = useAnalysisStore((s) => s.evaluation.mode);
  const label = methodLabel(method, mode);
  const hovered = useLinkedViewStore((s) => s.hovered);
  const selected = useLinkedViewStore((s) => s.selected);
  const overlayKeys = useLinkedViewStore((s) => s.overlay);
  const [frameRef, width] = useElementWidth<HTMLDivElement>(DEFAULT_WIDTH);
  const notes = useTrajectoryNotes(entryKey);
  const notedMessages = useMemo(() => new Map(notes.map((n) => [n.message, notes.filter((m) => m.message === n.message).length] as const)), [notes]);

  const evaluation = byKey.get(entryKey);
  const group = evaluation?.group ?? null;
  // The other scored trajectories of this best-of-N group (core's key: the task within its file, unless
  // the settings merge files), in list order: what the overlay checkbox offers.
  const sameTaskKeys = useMemo(
    () => (group === null ? [] : order.filter((k) => k !== entryKey && byKey.get(k)?.group === group)),
    [order, entryKey, byKey, group],
  );
  // The overlay store may hold keys set for another trajectory: draw only this task's others.
  const drawnOverlayKeys = useMemo(() => overlayKeys.filter((k) => sameTaskKeys.includes(k)), [overlayKeys, sameTaskKeys]);

  const model = useMemo(() => {
    if (!evaluation) return null;
    const overlays: OverlaySeries[] = drawnOverlayKeys.map((key) => {
      const other = byKey.get(key)!;
      const reward = other.record.reward;
      return { key, label: reward == null ? other.id : `${other.id} (reward ${reward})`, runningAdvantage: other.runningAdvantage };
    });
    return buildCurveModel({
      stepMessages: evaluation.record.steps.map((s) => s.message),
      stepScores: evaluation.stepScores,
      runningAdvantage: evaluation.runningAdvantage,
      decisiveMessage: evaluation.predicted[predictor],
      mistakeMessage: entry?.trajectory.labels.mistakeStep ?? evaluation.record.mistakeStep ?? null,
      overlays,
      width,
      height: CURVE_HEIGHT,
    });
  }, [evaluation, drawnOverlayKeys, byKey, predictor, entry, width]);

  if (!entry || !evaluation || !model) {
    return (
      <section className="step-curve step-curve-empty" data-testid="step-curve" data-state="empty" aria-label="Step curve">
        Score this trajectory to see its step curve
      </section>
    );
  }

  const hoveredMessage = hovered?.key === entryKey ? hovered.message : null;
  const selectedMessage = selected?.key === entryKey ? selected.message : null;
  const tooltipStep = model.steps.find((s) => s.message === hoveredMessage) ?? null;
  const focusOf = (step: StepMark): StepFocus => ({ key: entryKey, message: step.message });

  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    if (model.steps.length === 0) return;
    const current = model.steps.findIndex((s) => s.message === selectedMessage);
    let next: number;
    if (event.key === 'ArrowRight') next = current < 0 ? 0 : Math.min(model.steps.length - 1, current + 1);
    else if (event.key === 'ArrowLeft') next = current < 0 ? model.steps.length - 1 : Math.max(0, current - 1);
    else if (event.key === 'Escape') {
      selectStep(null);
      return;
    } else return;
    event.preventDefault();
    event.stopPropagation();
    selectStep(focusOf(model.steps[next]));
  };

  return (
    <section className="step-curve" data-testid="step-curve" data-state="ready" data-steps={model.steps.length} aria-label={`Step curve of ${entry.trajectory.id}`}>
      <header className="curve-header">
        <h3>Step-evolution curve</h3>
        <span className="muted">
          {plural(model.steps.length, 'action step')} · score {evaluation.score === null ? '—' : formatSigned(evaluation.score)} ·{' '}
          {evaluation.predicted[predictor] === null ? 'no decisive step (no scored step)' : `decisive step by ${predictor} (${PREDICTOR_LABELS[predictor]})`}
        </span>
        {evaluation.unscoredSteps > 0 && (
          <span className="curve-unscored-count" data-testid="curve-unscored-count" data-unscored={evaluation.unscoredSteps}>
            {evaluation.unscoredSteps} of {model.steps.length} steps unscored
            {unscoredPolicy === 'zero' ? ' (counted as 0: reference-code parity)' : ' (left out of the score)'}
          </span>
        )}
        <ImageExportButtons testIdPrefix="export-curve" label="the step curve" onExport={(format) => exportCurveImage(entryKey, format)} />
        {sameTaskKeys.length > 0 && (
          <label className="curve-overlay-toggle">
            <input
              type="checkbox"
              data-testid="overlay-task"
              checked={drawnOverlayKeys.length > 0}
              onChange={(e) => setOverlay(e.currentTarget.checked ? sameTaskKeys : [])}
            />
            overlay the other trajectories of this task ({sameTaskKeys.length})
          </label>
        )}
      </header>
      <div ref={frameRef} className="curve-frame" onPointerLeave={() => hoveredMessage !== null && hoverStep(null)}>
        {model.steps.length === 0 ? (
          <p className="step-curve-empty">This trajectory has no action step to score.</p>
        ) : (
          <CurveSvg
            model={model}
            hoveredMessage={hoveredMessage}
            selectedMessage={selectedMessage}
            onHover={(step) => hoverStep(focusOf(step))}
            onSelect={(step) => selectStep(focusOf(step))}
            onKeyDown={onKeyDown}
            label={`Step scores (${label.name}) and ${label.running} of ${entry.trajectory.id}`}
            axisLabel={label.axis}
            notedMessages={notedMessages}
          />
        )}
        {tooltipStep && <CurveTooltip model={model} step={tooltipStep} agent={evaluation.record.steps[tooltipStep.position].agent ?? null} predictor={predictor} running={label.running} />}
      </div>
      <CurveLegend model={model} predictor={predictor} method={label} />
    </section>
  );
}

function CurveSvg({
  model,
  hoveredMessage,
  selectedMessage,
  onHover,
  onSelect,
  onKeyDown,
  label,
  axisLabel,
  notedMessages,
}: {
  model: CurveModel;
  /** Steps with notes (src/ui/notes), with how many: each gets a mark above the plot. */
  notedMessages: ReadonlyMap<number, number>;
  hoveredMessage: number | null;
  selectedMessage: number | null;
  onHover(step: StepMark): void;
  onSelect(step: StepMark): void;
  onKeyDown(event: KeyboardEvent<SVGSVGElement>): void;
  label: string;
  /** What a step score is under the chosen method (core's methodLabel). */
  axisLabel: string;
}) {
  const { plot } = model;
  const plotHeight = plot.bottom - plot.top;
  return (
    <svg width={model.width} height={model.height} role="group" aria-label={label} tabIndex={0} onKeyDown={onKeyDown}>
      <defs>
        <pattern id="curve-unscored-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <line className="curve-unscored-hatch-line" x1="0" y1="0" x2="0" y2="6" />
        </pattern>
      </defs>
      <g aria-hidden="true">
        {model.yTicks.map((t) => (
          <line key={`grid-${t.value}`} className="chart-grid-line" x1={plot.left} x2={plot.right} y1={t.at} y2={t.at} />
        ))}
      </g>
      {model.steps.map((step) => (
        <rect
          key={`band-${step.position}`}
          className={`curve-band${step.message === selectedMessage ? ' curve-band-selected' : step.message === hoveredMessage ? ' curve-band-hovered' : ''}`}
          data-testid="curve-step-band"
          data-message={step.message}
          x={step.bandX}
          y={plot.top}
          width={step.bandWidth}
          height={plotHeight}
          onPointerEnter={() => onHover(step)}
          onClick={() => onSelect(step)}
        />
      ))}
      <line className="curve-zero-line" x1={plot.left} x2={plot.right} y1={model.zeroY} y2={model.zeroY} />
      <g pointerEvents="none">
        {model.steps.map((step) =>
          step.score === null ? (
            <rect
              key={`bar-${step.position}`}
              className="curve-bar-unscored"
              data-testid="curve-step"
              data-unscored="true"
              data-step={step.stepNumber}
              data-message={step.message}
              data-hovered={step.message === hoveredMessage}
              data-selected={step.message === selectedMessage}
              x={step.bandX}
              y={plot.top}
              width={step.bandWidth}
              height={plotHeight}
              fill="url(#curve-unscored-hatch)"
            />
          ) : (
          <rect
            key={`bar-${step.position}`}
            className={step.score < 0 ? 'curve-bar-loss' : 'curve-bar-gain'}
            data-testid="curve-step"
            data-step={step.stepNumber}
            data-message={step.message}
            data-score={step.score}
            data-hovered={step.message === hoveredMessage}
            data-selected={step.message === selectedMessage}
            x={step.barX}
            y={step.barY}
            width={step.barWidth}
            // A zero score still gets a hairline so every step is visible.
            height={Math.max(1, step.barHeight)}
          />
          ),
        )}
        {model.overlays.map((o, i) => (
          <path key={o.key} className="curve-overlay-line" data-testid="curve-overlay-line" data-key={o.key} d={o.path} stroke={overlayColour(i)} />
        ))}
        <path className="curve-running" data-testid="curve-running" d={model.runningPath} />
        {model.steps.map((step) =>
          step.runningY === null ? null : (
            <circle key={`dot-${step.position}`} className="curve-running-dot" cx={step.x} cy={step.runningY} r={model.steps.length > 80 ? 1.5 : 3} />
          ),
        )}
        {model.mistake && (
          <g data-testid="labelled-mistake-marker" data-message={model.mistake.message} data-on-step={model.mistake.onStep}>
            <line className="curve-mistake-line" x1={model.mistake.x} x2={model.mistake.x} y1={plot.top} y2={plot.bottom} />
            <path className="curve-mistake-head" d={`M${model.mistake.x - 5},${plot.bottom + 9} L${model.mistake.x + 5},${plot.bottom + 9} L${model.mistake.x},${plot.bottom + 1} Z`} />
          </g>
        )}
        {model.decisive && (
          <g data-testid="decisive-step" data-message={model.decisive.message} data-step={model.decisive.position + 1}>
            <line className="curve-decisive-line" x1={model.decisive.x} x2={model.decisive.x} y1={plot.top} y2={plot.bottom} />
            <path className="curve-decisive-head" d={`M${model.decisive.x - 6},${plot.top} L${model.decisive.x + 6},${plot.top} L${model.decisive.x},${plot.top + 9} Z`} />
          </g>
        )}
      </g>
      <g data-testid="curve-note-marks">
        {model.steps.map((step) =>
          notedMessages.has(step.message) ? (
            <path
              key={`note-${step.position}`}
              className="curve-note-mark"
              data-testid="curve-note-mark"
              data-message={step.message}
              d={`M${step.x},${plot.top - 12} l4,4 l-4,4 l-4,-4 Z`}
              onClick={() => onSelect(step)}
            >
              <title>{`${notedMessages.get(step.message)} note${notedMessages.get(step.message) === 1 ? '' : 's'} on step ${step.stepNumber}`}</title>
            </path>
          ) : null,
        )}
      </g>
      <g aria-hidden="true">
        <line className="chart-axis-line" x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
        <line className="chart-axis-line" x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
        {model.yTicks.map((t) => (
          <text key={`y-${t.value}`} className="chart-tick-label" x={plot.left - 6} y={t.at} dy="0.32em" textAnchor="end">
            {t.value}
          </text>
        ))}
        {model.xTicks.map((t) => (
          <text key={`x-${t.value}`} className="chart-tick-label" x={t.at} y={plot.bottom + 20} textAnchor="middle">
            {t.value}
          </text>
        ))}
        <text className="chart-axis-label" x={(plot.left + plot.right) / 2} y={model.height - 4} textAnchor="middle">
          action step
        </text>
        <text className="chart-axis-label" transform={`translate(14, ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle" data-testid="curve-axis-label">
          {axisLabel}
        </text>
      </g>
    </svg>
  );
}

/** Rough width of the tooltip box, to decide on which side of the step it fits. */
const TOOLTIP_WIDTH = 240;

function CurveTooltip({ model, step, agent, predictor, running }: { model: CurveModel; step: StepMark; agent: string | null; predictor: FailurePredictor; running: string }) {
  // Beside the step's band, not over it, so the bar and the markers of the step stay visible.
  const rightOfBand = step.bandX + step.bandWidth + 4;
  const fitsRight = rightOfBand + TOOLTIP_WIDTH <= model.width;
  const style = fitsRight ? { left: rightOfBand } : { left: Math.max(0, step.bandX - 4), transform: 'translateX(-100%)' };
  return (
    <div className="curve-tooltip" data-testid="curve-tooltip" data-message={step.message} style={style}>
      <div>
        <strong>step {step.stepNumber}</strong> · message {step.message}
        {agent ? ` · ${agent}` : ''}
      </div>
      <div>step score {step.score === null ? '— (unscored: no figures for this step)' : formatSigned(step.score)}</div>
      <div>
        {running} {step.running === null ? '—' : formatSigned(step.running)}
      </div>
      {model.decisive?.message === step.message && <div className="tooltip-flag-decisive">predicted decisive step ({predictor})</div>}
      {model.mistake?.message === step.message && <div className="tooltip-flag-mistake">labelled mistake</div>}
    </div>
  );
}

function CurveLegend({ model, predictor, method }: { model: CurveModel; predictor: FailurePredictor; method: MethodLabel }) {
  return (
    <ul className="curve-legend" aria-label="Legend" data-testid="curve-legend">
      <li className="muted" data-testid="curve-method">
        step score: {method.name} ({method.formula})
      </li>
      <li>
        <span className="legend-swatch" style={{ background: 'var(--chart-gain)' }} />
        step score ≥ 0
      </li>
      <li>
        <span className="legend-swatch" style={{ background: 'var(--chart-loss)' }} />
        step score &lt; 0
      </li>
      <li>
        <span className="legend-line" style={{ borderColor: 'var(--chart-running)' }} />
        {method.running}
      </li>
      {model.steps.some((s) => s.score === null) && (
        <li data-testid="curve-unscored-legend">
          <span className="legend-swatch legend-swatch-unscored" />
          unscored step (no bar, a gap in the line)
        </li>
      )}
      {model.decisive && (
        <li>
          <span className="legend-line legend-line-dashed" style={{ borderColor: 'var(--chart-decisive)' }} />
          decisive step ({predictor}): message {model.decisive.message}
        </li>
      )}
      {model.mistake && (
        <li>
          <span className="legend-line legend-line-dotted" style={{ borderColor: 'var(--chart-mistake)' }} />
          labelled mistake: message {model.mistake.message}
          {model.mistake.onStep ? '' : ' (not an action step)'}
        </li>
      )}
      {model.overlays.map((o, i) => (
        <li key={o.key} data-testid="curve-overlay-legend">
          <span className="legend-line" style={{ borderColor: overlayColour(i) }} />
          {o.label}
        </li>
      ))}
    </ul>
  );
}
