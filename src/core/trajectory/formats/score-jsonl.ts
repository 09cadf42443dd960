/**
 * The product's own score format (src/core/scores/format.ts): one scored trajectory per JSON Lines
 * record, per-token log-probs of its action steps and no message texts. Read as a trajectory whose
 * action steps hold the token texts (when the record has them) and whose other messages are
 * placeholders, so message indices — and `mistakeStep` — keep their meaning. The record itself is
 * kept in `metadata.scoreRecord`: the app shows its figures without any model.
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Trajectory } from '../types';
import { scoreRecordSchema, fieldPath, type ScoreRecord } from '../../scores/format';
import { describeValue, FormatError, isObject } from './shape';
import { maxOf } from '../../arrays';

export const PLACEHOLDER_CONTEXT = '(context: not in the score file)';

function explain(value: unknown): Mismatch | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'a score record {id, steps: [{message, policy, reference}]}', found: describeValue(value) };
  if (!Array.isArray(value.steps)) return { score: 0, path: 'steps', expected: 'the scored steps (an array)', found: describeValue(value.steps) };
  const first: unknown = value.steps[0];
  if (first !== undefined && !(isObject(first) && 'message' in first && Array.isArray(first.policy) && Array.isArray(first.reference))) {
    return { score: 1, path: 'steps[0]', expected: 'a scored step {message, policy: [...], reference: [...]}', found: describeValue(first) };
  }
  if (typeof value.id !== 'string') return { score: 2, path: 'id', expected: 'the trajectory id (a string)', found: describeValue(value.id) };
  return null;
}

/**
 * A score record names no message count: the trajectory runs to its last scored step, or to its
 * mistake step when that lies a little further (an unscored step past the context). Placeholders
 * stop this many messages after the last scored step; a mistake step further on is dropped with a
 * notice (a file that claims message 10¹⁵ would otherwise build 10¹⁵ placeholders).
 */
export const MAX_PLACEHOLDERS_PAST_LAST_STEP = 1000;

function toTrajectory(record: ScoreRecord, ctx: ParseContext): Trajectory {
  const lastStep = Math.max(-1, maxOf(record.steps.map((s) => s.message)));
  let mistakeStep = record.mistakeStep ?? undefined;
  if (mistakeStep !== undefined && mistakeStep > lastStep + MAX_PLACEHOLDERS_PAST_LAST_STEP) {
    ctx.dropLabel(FormatError.at('mistakeStep', `a message index (an integer from 0 to ${lastStep + MAX_PLACEHOLDERS_PAST_LAST_STEP})`, mistakeStep));
    mistakeStep = undefined;
  }
  const lastMessage = Math.max(lastStep, mistakeStep ?? -1);
  const stepAt = new Map(record.steps.map((s) => [s.message, s] as const));
  const messages: Message[] = [];
  for (let i = 0; i <= lastMessage; i++) {
    const step = stepAt.get(i);
    messages.push(
      step
        ? { role: 'assistant', sourceRole: 'assistant', content: step.tokens ? step.tokens.join('') : '', ...(step.agent ? { name: step.agent } : {}) }
        : { role: 'user', sourceRole: 'context', content: PLACEHOLDER_CONTEXT },
    );
  }
  const reward = record.reward ?? undefined;
  return {
    id: record.id,
    format: 'score-jsonl',
    ...(record.taskId != null ? { taskId: record.taskId } : {}),
    messages,
    actionSteps: record.steps.map((s) => s.message),
    labels: {
      ...(reward !== undefined ? { reward, success: reward >= 1 } : {}),
      ...(mistakeStep !== undefined ? { mistakeStep } : {}),
      ...(record.mistakeAgent != null ? { mistakeAgent: record.mistakeAgent } : {}),
    },
    metadata: { scoreRecord: record },
  };
}

export const scoreJsonlAdapter: FormatAdapter = {
  id: 'score-jsonl',
  name: 'progress-advantage scores',
  signature: '{id, steps: [{message, policy, reference}]} per line',
  detect: (value) => explain(value) === null,
  explain,
  parse(value, ctx) {
    const parsed = scoreRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = fieldPath(issue.path);
      let found: unknown = value;
      for (const key of issue.path) found = isObject(found) || Array.isArray(found) ? (found as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
      const expected = issue.code === 'invalid_type' ? `a ${issue.expected}` : issue.message;
      throw new FormatError(path, expected, describeValue(found));
    }
    return [toTrajectory(parsed.data, ctx)];
  },
};
