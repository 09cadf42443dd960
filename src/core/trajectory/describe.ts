/**
 * What a trajectory's file says about its task and its label, in words a person recognises: the
 * task (Who&When's question, τ²-bench's task purpose, the first user words otherwise) and the facts
 * behind the label (Who&When's mistake reason, τ²-bench's reward breakdown, SWE-agent's exit status).
 * Read from `trajectory.metadata`, which the adapters fill with the file's own fields. Pure.
 */
import type { Trajectory } from './types';

export interface TrajectoryFact {
  /** Stable name for tests and styling: `question`, `mistake-reason`, `reward-breakdown`, … */
  key: string;
  label: string;
  value: string;
}

export interface TrajectoryDescription {
  /** The task in a line, when the file says what it is. */
  task: string | undefined;
  /** The first words of the first user message (whitespace collapsed), when there is one. */
  firstUserWords: string | undefined;
  facts: TrajectoryFact[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

/** `text` cut to `max` characters at a word boundary, with an ellipsis; whitespace collapsed. */
export function firstWords(value: string, max = 90): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const yesNo = (v: unknown): string | undefined => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : text(v));
const number = (v: unknown): string | undefined => (typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : text(v));

function whoAndWhenFacts(m: Json): TrajectoryFact[] {
  const facts: TrajectoryFact[] = [];
  const add = (key: string, label: string, value: string | undefined) => value !== undefined && facts.push({ key, label, value });
  add('question', 'question', text(m.question));
  add('ground-truth', 'ground truth', text(m.ground_truth));
  add('mistake-reason', 'mistake reason', text(m.mistake_reason));
  add('level', 'level', text(m.level));
  return facts;
}

function tau2Facts(m: Json): TrajectoryFact[] {
  const facts: TrajectoryFact[] = [];
  const add = (key: string, label: string, value: string | undefined) => value !== undefined && value !== '' && facts.push({ key, label, value });
  const task = isObject(m.task) ? m.task : {};
  const description = isObject(task.description) ? task.description : {};
  const scenario = isObject(task.user_scenario) && isObject(task.user_scenario.instructions) ? task.user_scenario.instructions : {};
  add('task-purpose', 'task', text(description.purpose));
  add('reason-for-call', 'user wants', text(scenario.reason_for_call));
  const info = isObject(m.reward_info) ? m.reward_info : undefined;
  if (info) {
    if (isObject(info.reward_breakdown)) {
      add(
        'reward-breakdown',
        'reward breakdown',
        Object.entries(info.reward_breakdown)
          .map(([k, v]) => `${k} ${number(v) ?? '—'}`)
          .join(' · '),
      );
    }
    if (isObject(info.db_check)) add('db-match', 'database matches the goal', yesNo(info.db_check.db_match));
    if (Array.isArray(info.action_checks) && info.action_checks.length > 0) {
      const checks = info.action_checks.filter(isObject);
      const matched = checks.filter((c) => c.action_match === true).length;
      const names = checks.map((c) => `${isObject(c.action) ? (text(c.action.name) ?? '?') : '?'} ${c.action_match === true ? '✓' : '✗'}`);
      add('action-checks', 'expected actions', `${matched} of ${checks.length} done: ${names.join(', ')}`);
    }
    if (Array.isArray(info.nl_assertions) && info.nl_assertions.length > 0) {
      const checks = info.nl_assertions.filter(isObject);
      add('nl-assertions', 'assertions met', `${checks.filter((c) => c.met === true).length} of ${checks.length}`);
    }
  }
  add('termination', 'ended by', text(m.termination_reason));
  return facts;
}

function sweAgentFacts(m: Json): TrajectoryFact[] {
  const facts: TrajectoryFact[] = [];
  const add = (key: string, label: string, value: string | undefined) => value !== undefined && facts.push({ key, label, value });
  add('exit-status', 'exit status', text(m.exitStatus));
  const submission = text(m.submission);
  if (submission !== undefined) add('submission', 'submission', `a patch of ${submission.split('\n').length} lines`);
  return facts;
}

/** The task, the first user words and the file's facts about the task and the label. */
export function describeTrajectory(t: Trajectory): TrajectoryDescription {
  const m = t.metadata;
  const firstUser = t.messages.find((message) => message.role === 'user' && message.content.trim() !== '');
  const firstUserWords = firstUser ? firstWords(firstUser.content) : undefined;
  let facts: TrajectoryFact[] = [];
  let task: string | undefined;
  if (t.format === 'who-and-when') {
    facts = whoAndWhenFacts(m);
    task = text(m.question);
  } else if (t.format === 'tau2-bench') {
    facts = tau2Facts(m);
    task = facts.find((f) => f.key === 'task-purpose')?.value ?? facts.find((f) => f.key === 'reason-for-call')?.value;
  } else if (t.format === 'swe-agent' || t.format === 'mini-swe-agent') {
    facts = sweAgentFacts(m);
  }
  return { task: task === undefined ? undefined : firstWords(task), firstUserWords, facts };
}
