/**
 * Two scorings of one trajectory side by side (issue 18): scoring A and B chosen among those the
 * trajectory has (state/compare.ts), each step's tokens under both heatmaps, the difference
 * heatmap A − B on the tokens both scored (the same characters of the message), both step curves on
 * one chart, and the decisive step each names.
 */
import { useMemo, useState } from 'react';
import type { Message } from '../../core/trajectory/types';
import type { StepAlignment } from '../../core/compare';
import { heatmapColourRange } from '../../core/advantage/colour-range';
import { useAppStore } from '../../state/store';
import { useAnalysisStore } from '../../state/analysis';
import { chooseScorings, closeScoringComparison, openScoringComparison, textTrajectoryFor, useCompareStore, type ScoringComparison as Comparison } from '../../state/compare';
import { advantageClass } from '../heatmap/token-classes';
import { AdvantageLegend } from '../heatmap/Legend';
import { displayTokenText } from '../transcript/transcript-rows';
import { compareScorings, type ScoringComparisonModel } from './compare-model';
import { CompareStepChart } from './CompareStepChart';
import { PlainMessage, ScoredTokenLine } from './ComparedTokens';
import '../curve/chart-theme.css';
import './compare.css';

/** Messages shown at first (and added by "show more"): a long trajectory is read a part at a time. */
const PAGE = 60;
const NO_MESSAGES: readonly Message[] = [];
const signed = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(4)}`);

export function ScoringComparison() {
  const comparison = useCompareStore((s) => s.scorings);
  const entry = useAppStore((s) => (comparison ? s.trajectories[comparison.key] : undefined));
  if (!comparison || !entry) return null;
  return (
    <section className="scoring-comparison" data-testid="scoring-comparison" data-key={comparison.key} aria-label={`Two scorings of ${entry.trajectory.id}`}>
      <header className="compare-header">
        <h2 className="pane-title">Compare scorings of {entry.trajectory.id}</h2>
        <button type="button" data-testid="compare-close" onClick={closeScoringComparison}>
          Back to the transcript
        </button>
        <button type="button" data-testid="compare-refresh" title="Look again for this trajectory's scorings (after scoring it with another pair, dtype or rendering)" onClick={() => void openScoringComparison(comparison.key)}>
          Look again
        </button>
      </header>
      {comparison.loading ? (
        <p className="muted" data-testid="compare-loading">
          Looking for this trajectory’s scorings…
        </p>
      ) : (
        <ComparisonBody comparison={comparison} />
      )}
    </section>
  );
}

function ComparisonBody({ comparison }: { comparison: Comparison }) {
  const { options, error } = comparison;
  const a = options.find((o) => o.id === comparison.a);
  const b = options.find((o) => o.id === comparison.b);
  const evaluation = useAnalysisStore((s) => s.evaluation);
  const predictor = useAnalysisStore((s) => s.predictor);
  const colourRangeMode = useAnalysisStore((s) => s.colourRangeMode);
  const colourRange = useAnalysisStore((s) => s.colourRange);
  const textTrajectory = useMemo(() => textTrajectoryFor(comparison.key), [comparison.key]);
  const messages = textTrajectory?.messages ?? NO_MESSAGES;
  const model = useMemo(
    () => (a && b ? compareScorings(messages.map((m) => m.content), a, b, evaluation, predictor) : null),
    [a, b, messages, evaluation, predictor],
  );
  // Both heatmaps on one scale, so that a colour means the same advantage in A and in B.
  const range = useMemo(
    () => heatmapColourRange({ colourRangeMode, colourRange }, [a, b].flatMap((o) => (o ? [o.record] : [])), evaluation.beta),
    [a, b, colourRangeMode, colourRange, evaluation.beta],
  );
  return (
    <>
      {error && (
        <p className="notice" role="status" data-testid="compare-error">
          {error}
        </p>
      )}
      <div className="compare-choices">
        <ScoringSelect side="A" value={comparison.a} options={options} />
        <ScoringSelect side="B" value={comparison.b} options={options} />
      </div>
      {options.length < 2 && (
        <p className="notice" role="status" data-testid="compare-too-few">
          This trajectory has {options.length === 0 ? 'no scoring' : 'one scoring'}. Score it with another pair, dtype or render mode (earlier scores are kept), or open a score file of the same
          trajectory, then compare.
        </p>
      )}
      {a && b && a.id === b.id && <p className="muted">A and B are the same scoring: choose another for B.</p>}
      {model && <ComparisonResult model={model} messages={messages} range={range} />}
    </>
  );
}

function ScoringSelect({ side, value, options }: { side: 'A' | 'B'; value: string | null; options: Comparison['options'] }) {
  return (
    <label className="compare-choice">
      <span className={`compare-key compare-key-${side.toLowerCase()}`}>{side}</span>
      <select data-testid={`compare-${side.toLowerCase()}`} value={value ?? ''} onChange={(e) => chooseScorings(side === 'A' ? { a: e.target.value } : { b: e.target.value })}>
        {value === null && <option value="">(none)</option>}
        {options.map((o) => (
          <option key={o.id} value={o.id} data-origin={o.origin}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function ComparisonResult({ model, messages, range }: { model: ScoringComparisonModel; messages: readonly Message[]; range: number }) {
  const showWhitespace = useAnalysisStore((s) => s.showWhitespace);
  const [shown, setShown] = useState(PAGE);
  const { alignment, decisive, evaluationA, evaluationB } = model;
  const alignmentOf = useMemo(() => new Map(alignment.steps.map((s) => [s.message, s] as const)), [alignment]);
  const stepScoreOf = useMemo(() => new Map(model.series.map((s) => [s.message, s] as const)), [model.series]);
  const count = Math.max(messages.length, (alignment.steps.at(-1)?.message ?? -1) + 1);
  const unaligned = alignment.steps.filter((s) => s.kind === 'unaligned');
  return (
    <>
      {'error' in evaluationA && <p className="notice" role="status">Scoring A cannot be evaluated with these settings: {evaluationA.error}</p>}
      {'error' in evaluationB && <p className="notice" role="status">Scoring B cannot be evaluated with these settings: {evaluationB.error}</p>}
      <dl className="facts compare-facts">
        <div className="fact">
          <dt>decisive step</dt>
          <dd data-testid="compare-decisive" data-a={decisive.a ?? ''} data-b={decisive.b ?? ''} data-same={decisive.same}>
            {decisive.summary}
          </dd>
        </div>
        <div className="fact">
          <dt>trajectory score</dt>
          <dd data-testid="compare-scores">
            A {signed('error' in evaluationA ? null : evaluationA.score)} · B {signed('error' in evaluationB ? null : evaluationB.score)}
          </dd>
        </div>
        <div className="fact">
          <dt>tokens both scored</dt>
          <dd data-testid="compare-shared" data-count={alignment.sharedTokens}>
            {alignment.sharedTokens}
          </dd>
        </div>
      </dl>
      <p className={alignment.tokenizationsDiffer ? 'notice' : 'muted'} role="status" data-testid="compare-alignment" data-differ={alignment.tokenizationsDiffer}>
        {alignment.tokenizationsDiffer
          ? 'The two scorings tokenize this trajectory differently: tokens are aligned on the characters of each message, and A − B is shown on the tokens that cover the same text in both (the others are left uncoloured).'
          : 'Both scorings tokenize this trajectory the same way: A − B is shown on every token.'}
        {unaligned.length > 0 && ` Not aligned: ${unaligned.map((s) => `message ${s.message} (${s.reason})`).join('; ')}.`}
      </p>
      <CompareStepChart series={model.series} decisiveA={decisive.a} decisiveB={decisive.b} />
      <AdvantageLegend range={range} />
      {model.differenceRange !== null && (
        <p className="muted compare-diff-legend" data-testid="compare-diff-range" data-range={model.differenceRange}>
          Difference row (A − B): the same colours on ±{model.differenceRange} (fitted to the differences): blue where A gives more than B, red where less.
        </p>
      )}
      <div className="compare-steps" data-testid="compare-steps">
        {Array.from({ length: Math.min(count, shown) }, (_, m) => {
          const step = alignmentOf.get(m);
          const message = messages[m] ?? { role: 'assistant' as const, sourceRole: 'assistant', content: '' };
          if (!step) return <PlainMessage key={m} index={m} message={message} />;
          const scores = stepScoreOf.get(m);
          return (
            <AlignedStep key={m} message={message} step={step} model={model} range={range} showWhitespace={showWhitespace} scoreA={scores?.a ?? null} scoreB={scores?.b ?? null} />
          );
        })}
        {count > shown && (
          <button type="button" data-testid="compare-more" onClick={() => setShown((n) => n + PAGE)}>
            Show {Math.min(PAGE, count - shown)} more messages ({count - shown} left)
          </button>
        )}
      </div>
    </>
  );
}

function AlignedStep({ message, step, model, range, showWhitespace, scoreA, scoreB }: { message: Message; step: StepAlignment; model: ScoringComparisonModel; range: number; showWhitespace: boolean; scoreA: number | null; scoreB: number | null }) {
  const a = model.stepsA.get(step.message);
  const b = model.stepsB.get(step.message);
  const isDecisive = model.decisive.a === step.message || model.decisive.b === step.message;
  return (
    <article className={`message role-assistant compare-step${isDecisive ? ' decisive' : ''}`} data-testid="compare-step" data-message={step.message} data-kind={step.kind}>
      <header className="message-header">
        <span className="message-index">#{step.message}</span>
        <span className={`role-badge role-badge-${message.role}`}>{message.role}</span>
        {message.name && <span className="agent-name">{message.name}</span>}
        <span className="step-score" data-testid="compare-step-scores" data-a={scoreA ?? ''} data-b={scoreB ?? ''}>
          s: A {signed(scoreA)} · B {signed(scoreB)}
        </span>
        {model.decisive.a === step.message && <span className="decisive-badge">◆ A’s decisive step</span>}
        {model.decisive.b === step.message && <span className="decisive-badge">◆ B’s decisive step</span>}
        {step.reason && <span className="muted">{step.reason}</span>}
      </header>
      <div className="compare-row">
        <span className="compare-key compare-key-a">A</span>
        {a ? <ScoredTokenLine side="A" step={a} pairOf={step.pairOfA} range={range} showWhitespace={showWhitespace} /> : <span className="muted">not scored by A</span>}
      </div>
      <div className="compare-row">
        <span className="compare-key compare-key-b">B</span>
        {b ? <ScoredTokenLine side="B" step={b} pairOf={step.pairOfB} range={range} showWhitespace={showWhitespace} /> : <span className="muted">not scored by B</span>}
      </div>
      {a && b && (
        <div className="compare-row">
          <span className="compare-key">A − B</span>
          <DifferenceLine step={step} texts={a.texts ?? []} range={model.differenceRange ?? 1} showWhitespace={showWhitespace} />
        </div>
      )}
    </article>
  );
}

/** A's tokens again, the shared ones coloured by A − B (data-difference holds the exact value), the others uncoloured. */
function DifferenceLine({ step, texts, range, showWhitespace }: { step: StepAlignment; texts: readonly string[]; range: number; showWhitespace: boolean }) {
  return (
    <pre className="message-text scored-tokens compare-tokens" data-testid="compare-diff" data-message={step.message}>
      {texts.map((text, i) => {
        const pair = step.pairOfA[i] >= 0 ? step.pairs[step.pairOfA[i]] : null;
        if (!pair) {
          return (
            <span key={i} className="token token-unshared" data-testid="compare-diff-unshared" data-index={i} title="not scored by both over the same text">
              {displayTokenText(text, showWhitespace)}
            </span>
          );
        }
        return (
          <span
            key={i}
            className={`token ${advantageClass(pair.difference, range)}`}
            data-testid="compare-diff-token"
            data-index={i}
            data-b-index={pair.b}
            data-start={pair.start}
            data-end={pair.end}
            data-difference={pair.difference}
            title={`${JSON.stringify(pair.text)} A − B = ${pair.difference.toFixed(6)} (A ${pair.advantageA.toFixed(4)}, B ${pair.advantageB.toFixed(4)})`}
          >
            {displayTokenText(text, showWhitespace)}
          </span>
        );
      })}
    </pre>
  );
}
