import type { Message } from '../../core/trajectory/types';
import type { ScoredStepTokens } from '../../core/compare';
import { advantageClass, installAdvantageClasses } from '../heatmap/token-classes';
import { displayTokenText } from '../transcript/transcript-rows';

/** One scoring's tokens of a step, each coloured by its advantage; `pairOf[i]` ≥ 0 marks a token the other scoring shares (no `pairOf`: nothing is compared). */
export function ScoredTokenLine({ side, step, pairOf, range, showWhitespace }: { side: 'A' | 'B'; step: ScoredStepTokens; pairOf?: readonly number[]; range: number; showWhitespace: boolean }) {
  installAdvantageClasses();
  const texts = step.texts ?? step.advantages?.map((_, i) => `⟨${i}⟩`) ?? [];
  return (
    <pre className="message-text scored-tokens compare-tokens" data-testid={`compare-tokens-${side.toLowerCase()}`} data-message={step.message}>
      {texts.map((text, i) => {
        const a = step.advantages?.[i];
        const shared = !pairOf || pairOf[i] >= 0;
        return (
          <span
            key={i}
            className={`token ${a === undefined ? '' : advantageClass(a, range)}${shared ? '' : ' token-unshared'}`}
            data-testid="compare-token"
            data-index={i}
            data-advantage={a}
            data-shared={pairOf ? shared : undefined}
            title={a === undefined ? text : `${JSON.stringify(text)} A = ${a.toFixed(4)}`}
          >
            {displayTokenText(text, showWhitespace)}
          </span>
        );
      })}
    </pre>
  );
}

/** A message's text (and tool calls) without scores: context, or a step neither scoring scored. */
export function PlainMessage({ index, message, note }: { index: number; message: Message; note?: string }) {
  const calls = message.toolCalls?.map((call) => `${call.name}(${JSON.stringify(call.arguments)})`).join('\n') ?? '';
  return (
    <article className={`message role-${message.role}`} data-testid="compare-message" data-message={index}>
      <header className="message-header">
        <span className="message-index">#{index}</span>
        <span className={`role-badge role-badge-${message.role}`}>{message.role}</span>
        {message.name && <span className="agent-name">{message.name}</span>}
        {note && <span className="muted">{note}</span>}
      </header>
      <pre className="message-text">{message.content}{calls ? `${message.content ? '\n' : ''}${calls}` : ''}</pre>
    </article>
  );
}
