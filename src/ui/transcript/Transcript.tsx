import { useDeferredValue, useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { LoadedTrajectory } from '../../state/store';
import type { Trajectory } from '../../core/trajectory/types';
import type { ScoreStep } from '../../core/scores/format';
import { MessageCard, StepHeader } from './MessageCard';
import { TokenRow } from './TokenRow';
import { rowSpanOf, stepTokenTexts, transcriptRows } from './transcript-rows';
import { AdvantageLegend } from '../heatmap/Legend';
import { useHeatmapRange } from '../heatmap/heatmap-range';
import { HeatmapExportControls } from '../share/HeatmapExportControls';
import { shareStepSnippet } from '../share/share-ui-store';
import { TranscriptHeader } from './TranscriptHeader';
import { plainMessageTokenTexts } from './plain-text-tokens';
import { renderPlainTexts } from '../../core/render';
import { methodLabel } from '../../core/advantage';
import { useScoringStore } from '../../state/scoring';
import { hoverStep, selectStep, selectTokenRange, useAnalysis, useAnalysisStore, useLinkedViewStore } from '../../state/analysis';
import { useTrajectoryNotes, type SessionNote } from '../../state/notes';
import { StepNotes } from '../notes/StepNotes';
import { NotesIndex } from '../notes/NotesIndex';
import { TranscriptMinimap } from '../search/TranscriptMinimap';
import { useRevealRows } from '../reveal-rows';

interface TokenTooltip {
  x: number;
  y: number;
  text: string;
  advantage: number;
  policy: number;
  reference: number;
  entropy: number | null;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—');

/** One trajectory as a readable transcript and token heatmap, virtualized by rows. */
export function Transcript({ entry }: { entry: LoadedTrajectory }) {
  const t = entry.trajectory;
  const stepNumberOf = useMemo(() => new Map(t.actionSteps.map((m, k) => [m, k] as const)), [t]);
  // Deferred: swapping a transcript to its token rows is a big render; React may split it and keep input responsive.
  const result = useDeferredValue(useScoringStore((s) => s.results[entry.key]));
  const evaluation = useDeferredValue(useAnalysis().byKey.get(entry.key));
  const { evaluation: options, predictor, showWhitespace } = useAnalysisStore();
  // Fitted to this trajectory's token advantages, or the fixed range (src/ui/heatmap/heatmap-range.ts).
  const { range: colourRange, fitted: rangeFitted } = useHeatmapRange(result?.record);
  // The chosen step of this trajectory: the store's object (a new one per choice, so choosing it again scrolls back to it).
  const selectedFocus = useLinkedViewStore((s) => (s.selected?.key === entry.key ? s.selected : null));
  const selected = selectedFocus?.message ?? null;
  const hovered = useLinkedViewStore((s) => (s.hovered?.key === entry.key ? s.hovered.message : null));
  const marked = useLinkedViewStore((s) => (s.tokenRange?.key === entry.key ? s.tokenRange : null));
  const scoredStepOf = useMemo(() => new Map(result?.record.steps.map((step) => [step.message, step] as const) ?? []), [result]);
  const textsOf = useMemo(() => shownTokenTexts(t, scoredStepOf), [t, scoredStepOf]);
  const rows = useMemo(() => transcriptRows(t.messages.length, scoredStepOf, undefined, (m) => textsOf.get(m)?.texts), [t, scoredStepOf, textsOf]);
  const stepIndexOf = useMemo(() => new Map(result?.record.steps.map((step, i) => [step.message, i] as const) ?? []), [result]);
  const decisive = evaluation?.predicted[predictor] ?? null;
  const notScored = useMemo(() => new Map(result?.notScored.map((n) => [n.message, n.detail] as const) ?? []), [result]);
  const notes = useTrajectoryNotes(entry.key);
  const notesOf = useMemo(() => notesByMessage(notes), [notes]);

  const scroller = useRef<HTMLDivElement>(null);
  const section = useRef<HTMLElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i].kind === 'tokens' ? 120 : 110),
    overscan: 2,
    // Let React schedule scroll-driven renders instead of forcing each one synchronously.
    useFlushSync: false,
    getItemKey: (i) => {
      const r = rows[i];
      return r.kind === 'tokens' ? `${r.message}:${r.start}` : `${r.message}`;
    },
  });

  // Click a token to mark it, shift-click to extend the mark within its step (deep links carry the range).
  const onClick = (e: MouseEvent) => {
    const token = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="token"]');
    const stepElement = token?.closest<HTMLElement>('[data-testid="scored-step"]');
    if (!token || !stepElement) return;
    const index = Number(token.dataset.index);
    const message = Number(stepElement.dataset.message);
    const anchor = e.shiftKey && marked?.message === message ? marked.start : index;
    if (selected !== message) selectStep({ key: entry.key, message });
    selectTokenRange({ key: entry.key, message, start: Math.min(anchor, index), end: Math.max(anchor, index) + 1 });
  };

  // Another trajectory opens at its top (the component is reused across trajectories, and so is its
  // scroller), unless a step of it is chosen (a link, j/k): the effect below scrolls to that one.
  const shownKey = useRef(entry.key);
  useEffect(() => {
    if (shownKey.current === entry.key) return;
    shownKey.current = entry.key;
    if (useLinkedViewStore.getState().selected?.key !== entry.key) virtualizer.scrollToOffset(0);
  }, [entry.key, virtualizer]);

  // A step chosen elsewhere (the curve, a link) and a token marked elsewhere (a search hit, a note, the
  // minimap) scroll into view and stay there while the panes above settle; one on screen stays put.
  const selectedSpan = useMemo(() => rowSpanOf(rows, (r) => r.message === selected), [rows, selected]);
  useRevealRows(virtualizer, scroller, selectedFocus, selectedSpan, 'start');
  const markedSpan = useMemo(
    () => (marked ? rowSpanOf(rows, (r) => r.kind === 'tokens' && r.message === marked.message && marked.start >= r.start && marked.start < r.end) : null),
    [rows, marked],
  );
  useRevealRows(virtualizer, scroller, marked, markedSpan, 'center');

  const [tooltip, setTooltip] = useState<TokenTooltip | null>(null);
  const onMouseOver = (e: MouseEvent) => {
    const token = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="token"]');
    if (!token || !section.current) return setTooltip(null);
    const box = token.getBoundingClientRect();
    const frame = section.current.getBoundingClientRect();
    const entropy = token.dataset.entropy;
    setTooltip({
      x: box.left - frame.left,
      y: box.bottom - frame.top + 4,
      text: token.dataset.token ?? token.textContent ?? '',
      advantage: Number(token.dataset.advantage),
      policy: Number(token.dataset.logprobPolicy),
      reference: Number(token.dataset.logprobReference),
      entropy: entropy === undefined ? null : Number(entropy),
    });
  };

  return (
    <section ref={section} className="transcript" data-testid="transcript" data-scores-of={result?.key ?? ''} aria-label={`Transcript of ${t.id}`}>
      <TranscriptHeader entryKey={entry.key} trajectory={t} fileName={entry.fileName} evaluation={evaluation} decisive={decisive} predictor={predictor} />
      <NotesIndex entryKey={entry.key} notes={notes} />
      {result && <AdvantageLegend range={colourRange} fitted={rangeFitted} />}
      {result && <HeatmapExportControls entry={entry} />}
      {result?.stepLevelOnly && (
        <p className="notice" role="status">
          The two models have different tokenizers: each step shows the difference of its string log-likelihoods, not per-token advantages.
        </p>
      )}
      {result?.record.chatMapping && (
        <p className="notice" role="status" data-testid="chat-mapping" title={result.record.chatMapping.reason}>
          The chat template could not take this log as written ({result.record.chatMapping.reason}); it was rendered with these changes:{' '}
          {result.record.chatMapping.changes.join('; ')}.
        </p>
      )}
      <div className="transcript-body">
      <div ref={scroller} className="transcript-scroller" onMouseOver={onMouseOver} onMouseLeave={() => setTooltip(null)} onClick={onClick}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            const stepIndex = stepIndexOf.get(row.message);
            const stepInfo = {
              stepNumber: stepNumberOf.get(row.message),
              // An unscored step (null) shows no score; its notScored reason says why.
              stepScore: stepIndex !== undefined ? (evaluation?.stepScores[stepIndex] ?? undefined) : undefined,
              running: stepIndex !== undefined ? (evaluation?.runningAdvantage[stepIndex] ?? undefined) : undefined,
              isDecisive: decisive === row.message,
              isLabelledMistake: t.labels.mistakeStep === row.message,
              isFocused: selected === row.message || hovered === row.message,
              notScored: notScored.get(row.message),
            };
            const pointTo = () => hoverStep({ key: entry.key, message: row.message });
            const choose = () => selectStep({ key: entry.key, message: row.message });
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className="transcript-row"
                style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
              >
                {row.kind === 'message' ? (
                  <>
                    <MessageCard
                      entryKey={entry.key}
                      index={row.message}
                      message={t.messages[row.message]}
                      {...stepInfo}
                      hiddenTokenCount={result?.messageTokenCounts[row.message]}
                    />
                    {stepInfo.stepNumber !== undefined && <StepNotes entryKey={entry.key} message={row.message} notes={notesOf.get(row.message)?.all ?? NO_NOTES} markedRange={null} />}
                  </>
                ) : (
                  <article
                    className={`message role-assistant action-step scored${row.first ? '' : ' continued'}${row.last ? '' : ' continues'}${stepInfo.isDecisive ? ' decisive' : ''}${
                      stepInfo.isLabelledMistake ? ' labelled-mistake' : ''
                    }${stepInfo.isFocused ? ' focused' : ''}`}
                    data-testid={row.first ? 'message' : 'message-continued'}
                    data-message-index={row.message}
                    data-role="assistant"
                    onMouseEnter={pointTo}
                  >
                    {row.first && (
                      <button type="button" className="link-button step-share" data-testid="step-share-snippet" title="Share this step as a link" onClick={() => shareStepSnippet(entry.key, row.message)}>
                        share this step
                      </button>
                    )}
                    {row.first && <StepHeader index={row.message} message={t.messages[row.message]} {...stepInfo} onChoose={choose} />}
                    <TokenRow
                      step={scoredStepOf.get(row.message)!}
                      texts={textsOf.get(row.message)!.texts}
                      prefixChars={textsOf.get(row.message)!.prefixChars}
                      modelTexts={textsOf.get(row.message)!.modelTexts}
                      start={row.start}
                      end={row.end}
                      beta={options.beta}
                      range={colourRange}
                      showWhitespace={showWhitespace}
                      markedStart={marked?.message === row.message ? marked.start : -1}
                      markedEnd={marked?.message === row.message ? marked.end : -1}
                      notedRanges={notesOf.get(row.message)?.ranges}
                    />
                    {row.last && (
                      <StepNotes
                        entryKey={entry.key}
                        message={row.message}
                        notes={notesOf.get(row.message)?.all ?? NO_NOTES}
                        markedRange={marked?.message === row.message ? { start: marked.start, end: marked.end } : null}
                      />
                    )}
                  </article>
                )}
              </div>
            );
          })}
        </div>
      </div>
      {result && !result.stepLevelOnly && <TranscriptMinimap entryKey={entry.key} steps={result.record.steps} beta={options.beta} />}
      </div>
      {tooltip && (
        <div className="token-tooltip" data-testid="token-tooltip" role="tooltip" style={{ left: tooltip.x, top: tooltip.y }}>
          <div className="tooltip-token" title="the token as the model saw it">{JSON.stringify(tooltip.text)}</div>
          <table>
            <tbody>
              <tr>
                <th>A</th>
                <td>{fmt(tooltip.advantage)}</td>
              </tr>
              <tr>
                <th>log π_θ</th>
                <td>{fmt(tooltip.policy)}</td>
              </tr>
              <tr>
                <th>log π_ref</th>
                <td>{fmt(tooltip.reference)}</td>
              </tr>
              {options.method !== 'progress' && (
                <tr>
                  <th>step score</th>
                  <td>{methodLabel(options.method, options.mode).name}</td>
                </tr>
              )}
              {tooltip.entropy !== null && (
                <tr>
                  <th>entropy</th>
                  <td>{fmt(tooltip.entropy)}</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const NO_NOTES: readonly SessionNote[] = [];

/** A trajectory's notes by step, with the token ranges they mark (stable arrays: TokenRow is memoised). */
function notesByMessage(notes: readonly SessionNote[]): Map<number, { all: SessionNote[]; ranges: { start: number; end: number }[] }> {
  const byMessage = new Map<number, { all: SessionNote[]; ranges: { start: number; end: number }[] }>();
  for (const note of notes) {
    let entry = byMessage.get(note.message);
    if (!entry) byMessage.set(note.message, (entry = { all: [], ranges: [] }));
    entry.all.push(note);
    if (note.tokens) entry.ranges.push(note.tokens);
  }
  return byMessage;
}

/** Per scored step: the texts its tokens show (the message's own text in plain mode, else the decoded tokens). */
interface ShownTexts {
  texts: readonly string[];
  /** Plain mode: per token, how many leading characters are the renderer's `[role]: ` prefix. */
  prefixChars?: readonly number[];
  /** The decoded tokens (what the model saw), when the shown texts differ from them. */
  modelTexts?: readonly string[];
}

function shownTokenTexts(t: Trajectory, steps: ReadonlyMap<number, ScoreStep>): Map<number, ShownTexts> {
  const shown = new Map<number, ShownTexts>();
  if (steps.size === 0) return shown;
  const plain = renderPlainTexts(t);
  for (const [message, step] of steps) {
    const decoded = stepTokenTexts(step);
    const source = t.messages[message];
    const prefixLength = (message > 0 ? 1 : 0) + `[${source?.sourceRole ?? ''}]: `.length;
    const own = step.tokens && plain[message] !== undefined ? plainMessageTokenTexts(plain[message], prefixLength, decoded) : null;
    shown.set(message, own ? { texts: own.texts, prefixChars: own.prefixChars, modelTexts: decoded } : { texts: decoded });
  }
  return shown;
}
