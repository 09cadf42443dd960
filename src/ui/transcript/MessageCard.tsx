import { useState } from 'react';
import type { Message, ToolCall } from '../../core/trajectory/types';
import type { ScoreStep } from '../../core/scores/format';
import { ScoredTokens } from './ScoredTokens';

/** Messages longer than this are collapsed to their first part until the reader expands them. */
const COLLAPSE_CHARS = 1500;
const COLLAPSE_LINES = 24;

export function MessageCard({
  index,
  message,
  stepNumber,
  isLabelledMistake,
  scoredStep,
}: {
  index: number;
  message: Message;
  stepNumber: number | undefined;
  isLabelledMistake: boolean;
  /** The step's per-token figures once it is scored. */
  scoredStep?: ScoreStep;
}) {
  const isAction = stepNumber !== undefined;
  return (
    <article
      className={`message role-${message.role}${isAction ? ' action-step' : ''}${isLabelledMistake ? ' labelled-mistake' : ''}`}
      data-testid="message"
      data-message-index={index}
      data-role={message.role}
    >
      <header className="message-header">
        <span className="message-index">#{index}</span>
        <span className={`role-badge role-badge-${message.role}`}>{message.role}</span>
        {message.sourceRole !== message.role && <span className="muted">({message.sourceRole})</span>}
        {message.name && <span className="agent-name">{message.name}</span>}
        {isAction && <span className="step-badge">step {stepNumber + 1}</span>}
        {isLabelledMistake && <span className="mistake-badge">labelled mistake</span>}
        {message.toolCallId && <span className="muted">result of {message.toolCallId}</span>}
      </header>
      {scoredStep && scoredStep.policy.length > 0 ? (
        <ScoredTokens step={scoredStep} beta={1} range={2} />
      ) : (
        <>
          {message.content !== '' && <CollapsibleText text={message.content} foldByDefault={message.role === 'tool'} />}
          {message.toolCalls?.map((call, i) => <ToolCallView key={call.id ?? i} call={call} />)}
        </>
      )}
    </article>
  );
}

function CollapsibleText({ text, foldByDefault }: { text: string; foldByDefault: boolean }) {
  const lines = text.split('\n');
  const long = text.length > COLLAPSE_CHARS || lines.length > COLLAPSE_LINES;
  const [expanded, setExpanded] = useState(!long);
  if (!long) return <pre className="message-text">{text}</pre>;
  const shown = expanded ? text : lines.slice(0, foldByDefault ? 6 : COLLAPSE_LINES).join('\n').slice(0, foldByDefault ? 400 : COLLAPSE_CHARS);
  const hidden = text.length - shown.length;
  return (
    <div>
      <pre className="message-text">{shown}</pre>
      <button type="button" className="link-button" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        {expanded ? 'Collapse' : `Show all (${hidden.toLocaleString()} more characters)`}
      </button>
    </div>
  );
}

function ToolCallView({ call }: { call: ToolCall }) {
  const args = call.rawArguments !== undefined && Object.keys(call.arguments).length === 0 ? call.rawArguments : JSON.stringify(call.arguments, null, 2);
  return (
    <details className="tool-call" data-testid="tool-call">
      <summary>
        <span className="tool-call-label">tool call</span> <code>{call.name}</code>
        {call.requestor && call.requestor !== 'assistant' && <span className="muted"> by {call.requestor}</span>}
        {call.id && <span className="muted"> · {call.id}</span>}
      </summary>
      <pre className="tool-call-args">{args}</pre>
    </details>
  );
}
