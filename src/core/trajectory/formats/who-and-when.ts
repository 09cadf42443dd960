/**
 * Who&When failure logs (ag2ai/Agents_Failure_Attribution):
 * `{question, question_ID, ground_truth, history[], mistake_agent, mistake_step, mistake_reason, …}`.
 * Two conventions for `history`:
 *  - Algorithm-Generated: `{content, name, role}`; `name` is the agent, `role` is assistant / user.
 *  - Hand-Crafted: `{content, role}`; `role` is the agent label (`human`, `Orchestrator (thought)`,
 *    `WebSurfer`, …), kept verbatim as `sourceRole`.
 * `mistake_step` is a string holding a 0-based index into `history`. Every message is written by
 * one of the agents, so every non-empty one is an action step, except a Hand-Crafted log's opening
 * `human` message (the user's question).
 */
import type { FormatAdapter, Mismatch, ParseContext } from '../adapter';
import type { Message, Role, Trajectory } from '../types';
import { labelDropper, readAgent, readFlag, readMistakeStep } from './labels';
import { normaliseRole, textFromContent } from './messages';
import { defaultId } from './records';
import {
  describeValue,
  isObject,
  omitKeys,
  optionalId,
  pathJoin,
  requireObject,
  requireString,
  requireMessageList,
} from './shape';

export type WhoAndWhenConvention = 'algorithm-generated' | 'hand-crafted';

const LABEL_KEYS = ['mistake_step', 'mistake_agent', 'mistake_reason', 'question_ID'];

function explain(value: unknown): Mismatch | null {
  if (!isObject(value)) return { score: 0, path: '', expected: 'an object {question, history, mistake_agent, mistake_step, …}', found: describeValue(value) };
  if (!Array.isArray(value.history)) return { score: 1, path: 'history', expected: 'the message list `history` (an array)', found: describeValue(value.history) };
  if (!LABEL_KEYS.some((k) => k in value)) {
    return { score: 2, path: 'mistake_step', expected: 'Who&When labels (mistake_step, mistake_agent or question_ID)', found: describeValue(undefined) };
  }
  const first = value.history[0];
  if (first !== undefined && !(isObject(first) && typeof first.role === 'string' && 'content' in first)) {
    return { score: 3, path: 'history[0]', expected: 'a message {content, role} or {content, name, role}', found: describeValue(first) };
  }
  return null;
}

/** Hand-Crafted labels name an agent and, in parentheses, what it is doing: `Orchestrator (-> WebSurfer)`. */
function agentOfLabel(label: string): string {
  return label.replace(/\s*\(.*\)\s*$/, '');
}

/** The role a Hand-Crafted label stands for: the human asks, every other label is an agent speaking. */
function roleOfLabel(label: string): Role {
  const known = normaliseRole(label);
  return known ?? 'assistant';
}

function parse(value: unknown, ctx: ParseContext): Trajectory[] {
  const log = requireObject(value, '', 'an object {question, history, mistake_agent, mistake_step, …}');
  const history = requireMessageList(log.history, 'history', 'the message list `history` (an array)');
  // Algorithm-Generated logs name every speaker in `name`; Hand-Crafted ones put the agent in `role`.
  const convention: WhoAndWhenConvention =
    history.length > 0 && history.every((m) => isObject(m) && typeof m.name === 'string') ? 'algorithm-generated' : 'hand-crafted';

  const messages: Message[] = history.map((item, i) => {
    const path = pathJoin('history', i);
    const raw = requireObject(item, path, 'a message {content, role}');
    const sourceRole = requireString(raw.role, pathJoin(path, 'role'), 'the role or agent label (a string)');
    const content = textFromContent(raw.content, pathJoin(path, 'content'));
    if (convention === 'algorithm-generated') {
      return { role: normaliseRole(sourceRole) ?? 'assistant', sourceRole, name: raw.name as string, content };
    }
    const role = roleOfLabel(sourceRole);
    const message: Message = { role, sourceRole, content };
    if (role !== 'user') message.name = agentOfLabel(sourceRole);
    return message;
  });

  const actionSteps: number[] = [];
  messages.forEach((m, i) => {
    if (m.content.trim() === '') return;
    if (convention === 'hand-crafted' && i === 0 && m.sourceRole.toLowerCase() === 'human') return;
    actionSteps.push(i);
  });

  const drop = labelDropper(ctx);
  const mistakeStep = readMistakeStep(log.mistake_step, 'mistake_step', history.length, drop);
  const mistakeAgent = readAgent(log.mistake_agent, 'mistake_agent', drop);
  const taskId = optionalId(log.question_ID, 'question_ID');
  // Hand-Crafted logs spell the flag `is_corrected` (the dataset's own spelling); same meaning.
  const success = readFlag(log.is_correct, 'is_correct', drop) ?? readFlag(log.is_corrected, 'is_corrected', drop);
  const trajectory: Trajectory = {
    id: taskId ?? defaultId(ctx, 0),
    format: 'who-and-when',
    messages,
    actionSteps,
    labels: {},
    metadata: { convention, ...omitKeys(log, ['history']) },
  };
  if (taskId !== undefined) trajectory.taskId = taskId;
  if (mistakeStep !== undefined) trajectory.labels.mistakeStep = mistakeStep;
  if (mistakeAgent !== undefined) trajectory.labels.mistakeAgent = mistakeAgent;
  if (success !== undefined) trajectory.labels.success = success;
  return [trajectory];
}

export const whoAndWhenAdapter: FormatAdapter = {
  id: 'who-and-when',
  name: 'Who&When failure log',
  signature: '{history: [{content, role}], mistake_step, mistake_agent}',
  detect: (value) => explain(value) === null,
  explain,
  parse,
};
