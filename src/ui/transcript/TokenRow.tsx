import type { ScoreStep } from '../../core/scores/format';
import { advantageColor, advantageTextColor } from '../heatmap/colorScale';
import { displayTokenText } from './transcriptRows';

/** A run of one scored step's tokens, each coloured by its advantage; hover details come from data attributes. */
export function TokenRow({
  step,
  texts,
  start,
  end,
  beta,
  range,
  showWhitespace,
}: {
  step: ScoreStep;
  texts: readonly string[];
  start: number;
  end: number;
  beta: number;
  range: number;
  showWhitespace: boolean;
}) {
  const spans = [];
  for (let i = start; i < end; i++) {
    const a = beta * (step.policy[i] - step.reference[i]);
    spans.push(
      <span
        key={i}
        className="token"
        data-testid="token"
        data-index={i}
        data-advantage={a}
        data-logprob-policy={step.policy[i]}
        data-logprob-reference={step.reference[i]}
        data-entropy={step.entropy?.[i]}
        style={{ background: advantageColor(a, range), color: advantageTextColor(a, range) }}
      >
        {displayTokenText(texts[i], showWhitespace)}
      </span>,
    );
  }
  return (
    <pre className="message-text scored-tokens" data-testid="scored-step" data-message={step.message} data-start={start}>
      {spans}
    </pre>
  );
}
