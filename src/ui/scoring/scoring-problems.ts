/**
 * A scoring job's problems summarised by cause: one line per cause with a count and the action that
 * fixes it, instead of one line per trajectory. The causes are read from the real message texts:
 * render failures from src/core/render/chat.ts (RenderError), context limits from
 * src/core/engine/pair.ts (not-scored steps with reason `context-limit`). Pure.
 */
import type { NotScoredStep } from '../../core/engine/pair';
import { plural as countOf } from '../plural';
import { minOf } from '../../core/arrays';

export type ProblemCause = 'messages-not-located' | 'no-chat-template' | 'chat-template-failed' | 'context-limit' | 'other';

/** What fixes a cause: re-score those trajectories in plain mode, or load a pair with a longer context. */
export type ProblemAction = 'score-plain' | 'longer-context' | null;

export interface ProblemItem {
  key: string;
  /** The trajectory as a person names it: file and id. */
  name: string;
  message: string;
}

export interface ProblemSummary {
  cause: ProblemCause;
  /** Trajectories with this cause. */
  count: number;
  /** One sentence with the count: `360 could not be split into messages under the chat template`. */
  text: string;
  action: ProblemAction;
  /** Each trajectory with its own message (for the disclosure). */
  items: ProblemItem[];
}

/** The cause of a job error's message. */
export function classifyScoringError(message: string): ProblemCause {
  if (message.includes('rendering could not be split into messages')) return 'messages-not-located';
  if (message.includes('the tokenizer has no chat template')) return 'no-chat-template';
  if (/the chat template failed on (messages|the whole conversation)/.test(message)) return 'chat-template-failed';
  if (/needs \d+ tokens of context|the model's context is \d+/.test(message)) return 'context-limit';
  return 'other';
}

/** The smallest context a context-limit detail names (`… the policy model (…) takes 128`), or null. */
export function contextOf(detail: string): number | null {
  const sizes = [...detail.matchAll(/\b(?:takes|context is) (\d+)\b/g)].map((m) => Number(m[1]));
  return sizes.length > 0 ? minOf(sizes) : null;
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many); // the verb's number

function textOf(cause: ProblemCause, count: number, context: number | null): string {
  switch (cause) {
    case 'messages-not-located':
      return `${count} could not be split into messages under the chat template`;
    case 'no-chat-template':
      return `${count} could not be rendered: the tokenizer has no chat template`;
    case 'chat-template-failed':
      return `${count} could not be rendered: the chat template failed on them`;
    case 'context-limit':
      return `${count} ${plural(count, 'exceeds', 'exceed')} the pair's ${context === null ? '' : `${context}-token `}context (their later steps are not scored)`;
    case 'other':
      return `${count} failed for other reasons`;
  }
}

const ACTION: Record<ProblemCause, ProblemAction> = {
  'messages-not-located': 'score-plain',
  'no-chat-template': 'score-plain',
  'chat-template-failed': 'score-plain',
  'context-limit': 'longer-context',
  other: null,
};

const ORDER: readonly ProblemCause[] = ['messages-not-located', 'no-chat-template', 'chat-template-failed', 'context-limit', 'other'];

/**
 * One summary per cause, in a fixed order: the job's errors, and the trajectories whose results have
 * steps beyond the context. `nameOf` names a trajectory by its key (file and id).
 */
export function summariseScoringProblems(
  errors: readonly { key: string; message: string }[],
  notScored: readonly { key: string; notScored: readonly NotScoredStep[] }[],
  nameOf: (key: string) => string,
): ProblemSummary[] {
  const byCause = new Map<ProblemCause, ProblemItem[]>();
  const add = (cause: ProblemCause, item: ProblemItem) => {
    const items = byCause.get(cause) ?? [];
    items.push(item);
    byCause.set(cause, items);
  };
  let context: number | null = null;
  const noteContext = (text: string) => {
    const c = contextOf(text);
    if (c !== null) context = context === null ? c : Math.min(context, c);
  };
  for (const error of errors) {
    const cause = classifyScoringError(error.message);
    if (cause === 'context-limit') noteContext(error.message);
    add(cause, { key: error.key, name: error.key ? nameOf(error.key) : 'the job', message: error.message });
  }
  for (const result of notScored) {
    const beyond = result.notScored.filter((n) => n.reason === 'context-limit');
    if (beyond.length === 0) continue;
    for (const n of beyond) noteContext(n.detail);
    add('context-limit', {
      key: result.key,
      name: nameOf(result.key),
      message: `${countOf(beyond.length, 'step')} not scored: ${beyond[0].detail}`,
    });
  }
  return ORDER.filter((cause) => byCause.has(cause)).map((cause) => {
    const items = byCause.get(cause)!;
    const count = new Set(items.map((i) => i.key)).size;
    return { cause, count, text: textOf(cause, count, context), action: ACTION[cause], items };
  });
}
