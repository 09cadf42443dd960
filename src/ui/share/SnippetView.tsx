/**
 * A shared snippet, opened from its link alone: one step's coloured tokens and their figures,
 * with the trajectory, step, settings and model pair it came from. Everything in the link is
 * untrusted: it is decoded and validated (src/core/snippet) and shown only as text; a broken link
 * shows what is wrong with it.
 */
import { Component, useMemo, type ReactNode } from 'react';
import { decodeSnippet, type StepSnippet } from '../../core/snippet';
import type { ScoreStep } from '../../core/scores/format';
import { TokenRow } from '../transcript/TokenRow';
import { AdvantageLegend } from '../heatmap/Legend';
import { formatSigned } from '../dataset/format-metric';
import { PREDICTOR_WORDS } from './describe';
import { SnippetValuesTable } from './SnippetValuesTable';
import { describeNoteSpan } from '../../core/notes';
import '../notes/notes.css';
import './share.css';

export function SnippetView({ hash }: { hash: string }) {
  const decoded = useMemo(() => decodeSnippet(hash), [hash]);
  return (
    <main className="snippet-page" data-testid="snippet-view" data-state={decoded.ok ? 'ready' : 'error'}>
      <header className="snippet-header">
        <h1>Shared snippet</h1>
        <span className="muted">Progress advantage A = β·(log π_θ − log π_ref) of one agent step, carried in the link itself.</span>
        <a href={window.location.pathname} data-testid="snippet-open-app">
          Open the inspector
        </a>
      </header>
      {decoded.ok ? (
        <SnippetBoundary>
          <SnippetBody snippet={decoded.snippet} />
        </SnippetBoundary>
      ) : (
        <p className="share-error" role="alert" data-testid="snippet-error">
          This snippet link cannot be shown: {decoded.error}.
        </p>
      )}
    </main>
  );
}

/** Valid data should never fail to render; if it does, say so rather than blank the page. */
class SnippetBoundary extends Component<{ children: ReactNode }, { error: string | null }> {
  override state = { error: null as string | null };

  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  override render() {
    if (this.state.error !== null) {
      return (
        <p className="share-error" role="alert" data-testid="snippet-error">
          This snippet could not be shown: {this.state.error}.
        </p>
      );
    }
    return this.props.children;
  }
}

function SnippetBody({ snippet: s }: { snippet: StepSnippet }) {
  const step: ScoreStep = { message: s.message, policy: s.policy, reference: s.reference, tokens: s.tokens };
  const beta = s.settings.beta;
  const o = s.settings;
  const notedRanges = useMemo(() => (s.notes ?? []).flatMap((n) => (n.tokens ? [n.tokens] : [])), [s.notes]);
  return (
    <>
      <dl className="facts snippet-facts">
        <dt>trajectory</dt>
        <dd data-testid="snippet-trajectory">{s.trajectoryId}</dd>
        {s.fileName !== undefined && (
          <>
            <dt>file</dt>
            <dd>{s.fileName}</dd>
          </>
        )}
        {s.taskId !== undefined && (
          <>
            <dt>task</dt>
            <dd>{s.taskId}</dd>
          </>
        )}
        <dt>step</dt>
        <dd data-testid="snippet-step" data-message={s.message}>
          step {s.stepNumber} (message {s.message}){s.agent !== undefined ? ` by ${s.agent}` : ''}
          {s.decisive && <span className="decisive-badge"> ◆ predicted decisive step ({o.predictor}: {PREDICTOR_WORDS[o.predictor]})</span>}
          {s.labelledMistake && <span className="mistake-badge"> labelled mistake</span>}
        </dd>
        <dt>step score</dt>
        <dd data-testid="snippet-step-score" data-value={s.stepScore ?? ''}>
          {s.stepScore === null ? '—' : formatSigned(s.stepScore)} <span className="muted">(token → step {o.tokenAggregation}, over all {s.totalTokens} tokens)</span>
        </dd>
        <dt>settings</dt>
        <dd>
          {o.method === 'progress' ? `progress advantage (${o.mode}, β = ${beta})` : o.method}; step → trajectory {o.stepAggregation}; colour range ±{o.colourRange}
        </dd>
        <dt>model pair</dt>
        <dd data-testid="snippet-model-pair">{s.modelPair ?? 'not named'}</dd>
        <dt>shared</dt>
        <dd>{s.createdAt}</dd>
      </dl>
      {s.tokens.length < s.totalTokens && (
        <p className="notice" role="status" data-testid="snippet-truncated">
          Showing the first {s.tokens.length} of the step’s {s.totalTokens} tokens: a link holds a bounded amount.
        </p>
      )}
      <AdvantageLegend range={o.colourRange} />
      <div className="snippet-tokens">
        <TokenRow step={step} texts={s.tokens} start={0} end={s.tokens.length} beta={beta} range={o.colourRange} showWhitespace={false} notedRanges={notedRanges} />
      </div>
      {s.notes && s.notes.length > 0 && (
        <section className="snippet-notes" data-testid="snippet-notes">
          <h2>Notes</h2>
          {s.notes.map((note, i) => (
            <div key={i} className="note" data-testid="snippet-note">
              <div className="note-head">
                <span className="note-span">{note.tokens === null ? 'the whole step' : describeNoteSpan({ message: s.message, tokens: note.tokens }).replace(/^message \d+, /, '')}</span>
                {note.tags.map((tag) => (
                  <span key={tag} className="badge note-tag">
                    {tag}
                  </span>
                ))}
                <span className="muted">{note.created}</span>
              </div>
              {note.text !== '' && <p className="note-text" data-testid="snippet-note-text">{note.text}</p>}
            </div>
          ))}
        </section>
      )}
      <details className="snippet-values-frame" open={s.tokens.length <= 60}>
        <summary>Values of every token</summary>
        <SnippetValuesTable tokens={s.tokens} policy={s.policy} reference={s.reference} beta={beta} />
      </details>
    </>
  );
}
