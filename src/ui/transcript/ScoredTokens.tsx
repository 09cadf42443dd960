import type { ScoreStep } from '../../core/scores/format';
import { advantageColor, advantageTextColor } from '../heatmap/colorScale';

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—');

/** An action step's tokens coloured by their advantage A = β·(log π_θ − log π_ref). */
export function ScoredTokens({ step, beta, range }: { step: ScoreStep; beta: number; range: number }) {
  const tokens = step.tokens ?? step.tokenIds?.map(String) ?? step.policy.map((_, i) => `#${i}`);
  return (
    <pre className="message-text scored-tokens" data-testid="scored-step" data-message={step.message}>
      {tokens.map((text, i) => {
        const a = beta * (step.policy[i] - step.reference[i]);
        return (
          <span
            key={i}
            className="token"
            data-testid="token"
            data-advantage={a}
            data-logprob-policy={step.policy[i]}
            data-logprob-reference={step.reference[i]}
            data-entropy={step.entropy?.[i]}
            style={{ background: advantageColor(a, range), color: advantageTextColor(a, range) }}
            title={`token ${JSON.stringify(text)}\nA = ${fmt(a)}\nlog π_θ = ${fmt(step.policy[i])}\nlog π_ref = ${fmt(step.reference[i])}${
              step.entropy ? `\nentropy = ${fmt(step.entropy[i])}` : ''
            }`}
          >
            {text}
          </span>
        );
      })}
    </pre>
  );
}
