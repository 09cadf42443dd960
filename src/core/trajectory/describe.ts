/**
 * What a trajectory's file says about its task and its label, in words a person recognises: the
 * task (Who&When's question, τ²-bench's task purpose, the first user words otherwise) and the facts
 * behind the label (Who&When's mistake reason, τ²-bench's reward breakdown, SWE-agent's exit status),
 * and where a run or trace came from (ATIF's agent and totals, an OpenTelemetry trace's service and spans).
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

const plural = (n: unknown, noun: string): string => `${number(n) ?? '?'} ${noun}${n === 1 ? '' : 's'}`;
const calls = (n: unknown): string => plural(n, 'model call');

/** ATIF (formats/atif.ts): the agent, its model, the run's totals, copied context and subagents. */
function atifFacts(m: Json): TrajectoryFact[] {
  const facts: TrajectoryFact[] = [];
  const add = (key: string, label: string, value: string | undefined) => value !== undefined && value !== '' && facts.push({ key, label, value });
  const agent = isObject(m.agent) ? m.agent : {};
  add('agent', 'agent', [text(agent.name), text(agent.version)].filter((v) => v !== undefined).join(' '));
  add('model', 'model', text(m.model));
  const totals = isObject(m.finalMetrics) ? m.finalMetrics : {};
  const tokens = [
    totals.total_prompt_tokens !== undefined ? `${number(totals.total_prompt_tokens)} prompt` : undefined,
    totals.total_completion_tokens !== undefined ? `${number(totals.total_completion_tokens)} completion` : undefined,
  ].filter((v) => v !== undefined);
  add('tokens', 'tokens', tokens.join(' · '));
  if (typeof totals.total_cost_usd === 'number' && totals.total_cost_usd > 0) add('cost', 'cost', `$${number(totals.total_cost_usd)}`);
  if (typeof m.copiedContextSteps === 'number') add('copied-context', 'copied context', `${plural(m.copiedContextSteps, 'step')} from the trajectory this one continues (not action steps)`);
  if (Array.isArray(m.subagentTrajectories)) add('subagents', 'subagents', m.subagentTrajectories.map((r) => (isObject(r) ? (text(r.session_id) ?? '?') : '?')).join(', '));
  const notes = text(m.notes);
  if (notes !== undefined) add('notes', 'notes', firstWords(notes, 200));
  return facts;
}

/** OpenTelemetry traces (formats/otel.ts): where the trace comes from and how its spans were read. */
function otelFacts(m: Json): TrajectoryFact[] {
  const facts: TrajectoryFact[] = [];
  const add = (key: string, label: string, value: string | undefined) => value !== undefined && value !== '' && facts.push({ key, label, value });
  add('service', 'service', text(m.service));
  add('agent', 'agent', text(m.agent));
  add('model', 'model', Array.isArray(m.model) ? m.model.map((v) => text(v) ?? '?').join(', ') : text(m.model));
  add('trace-start', 'started', text(m.start));
  if (typeof m.spans === 'number') add('spans', 'spans', `${calls(m.modelCalls)}, ${plural(m.toolSpans, 'tool run')} of ${plural(m.spans, 'span')}`);
  if (typeof m.historyRewrites === 'number') add('history-rewrites', 'history rewrites', `${calls(m.historyRewrites)} did not see the whole conversation so far; their new messages follow it`);
  if (typeof m.duplicateModelCalls === 'number') add('duplicate-calls', 'recorded twice', `${calls(m.duplicateModelCalls)} (read once)`);
  if (typeof m.choicesLeftOut === 'number') add('choices-left-out', 'other choices', `${m.choicesLeftOut} left out (the first choice continues the conversation)`);
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
  } else if (t.format === 'atif') {
    facts = atifFacts(m);
  } else if (t.format === 'otel') {
    facts = otelFacts(m);
  }
  return { task: task === undefined ? undefined : firstWords(task), firstUserWords, facts };
}
