import { memo, useState } from 'react';
import type { Message, ToolCall } from '../../core/trajectory/types';
import { hoverStep, selectStep } from '../../state/analysis';
import { parseJsonContainer, prettyJson } from './pretty-json';

/** Messages longer than this are collapsed to their first part until the reader expands them. */
const COLLAPSE_CHARS = 1500;
const COLLAPSE_LINES = 24;

export interface StepInfo {
  /** 0-based position among the action steps, when the message is one. */
  stepNumber: number | undefined;
  stepScore: number | undefined;
  running: number | undefined;
  isDecisive: boolean;
  isLabelledMistake: boolean;
  isFocused: boolean;
  /** Why this step has no token figures (context limit …), when it has none. */
  notScored: string | undefined;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The header line of a message: index, role, agent, and for action steps their scores and marks. */
export function StepHeader({ index, message, stepNumber, stepScore, running, isDecisive, isLabelledMistake, notScored, onChoose }: { index: number; message: Message; onChoose?: () => void } & StepInfo) {
  return (
    <header className="message-header">
      <span className="message-index">#{index}</span>
      <span className={`role-badge role-badge-${message.role}`}>{message.role}</span>
      {message.sourceRole !== message.role && <span className="muted">({message.sourceRole})</span>}
      {message.name && <span className="agent-name">{message.name}</span>}
      {stepNumber !== undefined && (
        <button type="button" className="step-badge" data-testid="step-badge" data-message={index} onClick={onChoose} title="Show this step on the curve">
          step {stepNumber + 1}
        </button>
      )}
      {stepScore !== undefined && (
        <span className="step-score" data-testid="step-score" data-value={stepScore} title="step score s_i and running advantage R_i">
          s = {signed(stepScore)}
          {running !== undefined && ` · R = ${signed(running)}`}
        </span>
      )}
      {isDecisive && (
        <span className="decisive-badge" data-testid="transcript-decisive-badge">
          ◆ decisive step
        </span>
      )}
      {isLabelledMistake && <span className="mistake-badge">labelled mistake</span>}
      {notScored && <span className="muted" title={notScored}>not scored: {notScored}</span>}
      {message.toolCallId && <span className="muted">result of {message.toolCallId}</span>}
    </header>
  );
}

/** Memoised: props are plain values, so new results elsewhere do not re-render (and re-lay-out) it. */
export const MessageCard = memo(function MessageCard({
  entryKey,
  index,
  message,
  hiddenTokenCount,
  ...step
}: {
  /** The trajectory's key, for linking the step with the other views. */
  entryKey: string;
  index: number;
  message: Message;
  /** Rendered tokens of the message (known once scored): folded views say how many are hidden. */
  hiddenTokenCount?: number;
} & StepInfo) {
  const isAction = step.stepNumber !== undefined;
  const onPoint = isAction ? () => hoverStep({ key: entryKey, message: index }) : undefined;
  const onChoose = isAction ? () => selectStep({ key: entryKey, message: index }) : undefined;
  return (
    <article
      className={`message role-${message.role}${isAction ? ' action-step' : ''}${step.isLabelledMistake ? ' labelled-mistake' : ''}${step.isDecisive ? ' decisive' : ''}${
        step.isFocused ? ' focused' : ''
      }`}
      data-testid="message"
      data-message-index={index}
      data-role={message.role}
      onMouseEnter={onPoint}
    >
      <StepHeader index={index} message={message} onChoose={onChoose} {...step} />
      {message.content !== '' && <CollapsibleText text={readableContent(message)} foldByDefault={message.role === 'tool'} tokenCount={hiddenTokenCount} />}
      {message.toolCalls?.map((call, i) => <ToolCallView key={call.id ?? i} call={call} />)}
    </article>
  );
});

function CollapsibleText({ text, foldByDefault, tokenCount }: { text: string; foldByDefault: boolean; tokenCount?: number }) {
  const lines = text.split('\n');
  const long = text.length > COLLAPSE_CHARS || lines.length > COLLAPSE_LINES;
  const [expanded, setExpanded] = useState(!long);
  if (!long) return <pre className="message-text">{text}</pre>;
  const shown = expanded ? text : lines.slice(0, foldByDefault ? 6 : COLLAPSE_LINES).join('\n').slice(0, foldByDefault ? 400 : COLLAPSE_CHARS);
  const hidden = text.length - shown.length;
  // Token count of the hidden part, pro rata of the message's rendered tokens.
  const hiddenTokens = tokenCount !== undefined ? Math.round((tokenCount * hidden) / text.length) : undefined;
  return (
    <div>
      <pre className="message-text">{shown}</pre>
      <button type="button" className="link-button" data-testid="fold-toggle" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        {expanded
          ? 'Collapse'
          : `Show all (${hidden.toLocaleString()} more characters${hiddenTokens !== undefined ? `, about ${hiddenTokens.toLocaleString()} tokens` : ''} hidden)`}
      </button>
    </div>
  );
}

/** A tool result that is JSON is shown indented; any other text as it is. */
function readableContent(message: Message): string {
  if (message.role !== 'tool') return message.content;
  const value = parseJsonContainer(message.content);
  return value === undefined ? message.content : prettyJson(value, Infinity).text;
}

/** A tool call, open: its arguments indented (JSON), long values folded until the reader asks for them. */
export function ToolCallView({ call }: { call: ToolCall }) {
  const [full, setFull] = useState(false);
  const raw = call.rawArguments !== undefined && Object.keys(call.arguments).length === 0;
  const pretty = raw ? { text: call.rawArguments!, folded: false } : prettyJson(call.arguments, full ? Infinity : undefined);
  return (
    <details className="tool-call" data-testid="tool-call" open>
      <summary>
        <span className="tool-call-label">tool call</span> <code>{call.name}</code>
        {call.requestor && call.requestor !== 'assistant' && <span className="muted"> by {call.requestor}</span>}
        {call.id && <span className="muted"> · {call.id}</span>}
      </summary>
      <pre className="tool-call-args" data-testid="tool-call-args">{pretty.text}</pre>
      {(pretty.folded || full) && (
        <button type="button" className="link-button" data-testid="tool-call-unfold" onClick={() => setFull(!full)}>
          {full ? 'Fold long values' : 'Show long values in full'}
        </button>
      )}
    </details>
  );
}
