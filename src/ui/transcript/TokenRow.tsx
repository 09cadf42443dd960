import { memo } from 'react';
import type { ScoreStep } from '../../core/scores/format';
import { advantageClass, installAdvantageClasses } from '../heatmap/token-classes';
import { displayTokenText } from './transcript-rows';

/**
 * A run of one scored step's tokens, each coloured by its advantage; hover details come from data
 * attributes. Memoised: new results for other trajectories must not re-render (and re-lay-out) it.
 */
export const TokenRow = memo(function TokenRow({
  step,
  texts,
  start,
  end,
  beta,
  range,
  showWhitespace,
  markedStart = -1,
  markedEnd = -1,
  prefixChars,
  modelTexts,
  notedRanges,
}: {
  step: ScoreStep;
  texts: readonly string[];
  start: number;
  end: number;
  beta: number;
  range: number;
  showWhitespace: boolean;
  /** Tokens markedStart ≤ i < markedEnd are the marked range (a click, shift-click or a link); -1: none. */
  markedStart?: number;
  markedEnd?: number;
  /** Per token: how many leading characters are the plain renderer's `[role]: ` prefix (shown muted, not the agent's text). */
  prefixChars?: readonly number[];
  /** Per token: the decoded token (what the model saw) when `texts` are the message's own characters; `data-token` carries it (or `texts[i]`, which then is the decoded token). */
  modelTexts?: readonly string[];
  /** Token ranges that notes are attached to (src/ui/notes): their tokens are underlined. */
  notedRanges?: readonly { start: number; end: number }[];
}) {
  installAdvantageClasses();
  const spans = [];
  for (let i = start; i < end; i++) {
    const a = beta * (step.policy[i] - step.reference[i]);
    const marked = i >= markedStart && i < markedEnd;
    const noted = notedRanges?.some((r) => i >= r.start && i < r.end) ?? false;
    const shown = displayTokenText(texts[i], showWhitespace);
    const prefix = prefixChars?.[i] ?? 0;
    spans.push(
      <span
        key={i}
        className={`token ${advantageClass(a, range)}${marked ? ' token-marked' : ''}${noted ? ' token-noted' : ''}`}
        data-testid="token"
        data-index={i}
        data-marked={marked || undefined}
        data-noted={noted || undefined}
        data-advantage={a}
        data-logprob-policy={step.policy[i]}
        data-logprob-reference={step.reference[i]}
        data-entropy={step.entropy?.[i]}
        data-token={modelTexts?.[i] ?? texts[i]}
      >
        {prefix > 0 ? (
          <>
            <span className="role-prefix" title="added by the plain renderer: not the agent's text">{displayTokenText(texts[i].slice(0, prefix), showWhitespace)}</span>
            {displayTokenText(texts[i].slice(prefix), showWhitespace)}
          </>
        ) : (
          shown
        )}
      </span>,
    );
  }
  return (
    <pre className="message-text scored-tokens" data-testid="scored-step" data-message={step.message} data-start={start}>
      {spans}
    </pre>
  );
});
