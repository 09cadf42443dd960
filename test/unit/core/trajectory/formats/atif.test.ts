/**
 * ATIF (src/core/trajectory/formats/atif.ts) on the hand-written fixtures in test/fixtures/formats,
 * read through the ingestion path. Every expected count is worked out here from the raw JSON, as the
 * RFC describes it, independently of the adapter.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trajectorySchema } from '../../../../../src/core/bundle';
import { precomputedFromTrajectory } from '../../../../../src/core/engine';
import { describeTrajectory } from '../../../../../src/core/trajectory/describe';
import { parseTrajectoryBytes, parseTrajectoryText } from '../../../../../src/core/trajectory/ingest';
import type { Trajectory } from '../../../../../src/core/trajectory/types';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(here, '../../../../fixtures/formats');
const ROOT = path.resolve(here, '../../../../..');

interface RawStep {
  step_id: number;
  source: 'system' | 'user' | 'agent';
  message: string | { type: string; text?: string }[];
  reasoning_content?: string;
  tool_calls?: { tool_call_id: string; function_name: string; arguments: Record<string, unknown> }[];
  observation?: { results: { source_call_id?: string | null; content?: string | { type: string; text?: string }[] | null }[] };
  metrics?: { logprobs?: (number | null)[]; completion_token_ids?: number[] };
}
interface RawAtif {
  session_id: string;
  agent: { model_name?: string };
  extra?: { reward?: number; verifier_result?: { rewards: { reward: number } } };
  steps: RawStep[];
}

function load(name: string): { raw: RawAtif; trajectory: Trajectory } {
  const bytes = readFileSync(path.join(FIXTURES, name));
  const result = parseTrajectoryBytes(name, bytes);
  expect(result.errors).toEqual([]);
  expect(result.trajectories).toHaveLength(1);
  return { raw: JSON.parse(bytes.toString('utf8')) as RawAtif, trajectory: result.trajectories[0] };
}

const partsText = (content: RawStep['message']): string =>
  typeof content === 'string' ? content : content.filter((p) => p.type === 'text').map((p) => p.text).join('\n');

/** What the RFC says the trajectory holds: one message per step, then one per observation result. */
function expectedFromRaw(raw: RawAtif) {
  const roles: string[] = [];
  const actionSteps: number[] = [];
  /** The message index of each step's own message. */
  const stepMessages: number[] = [];
  let toolCalls = 0;
  for (const step of raw.steps) {
    stepMessages.push(roles.length);
    if (step.source === 'agent') actionSteps.push(roles.length);
    roles.push({ system: 'system', user: 'user', agent: 'assistant' }[step.source]);
    toolCalls += step.tool_calls?.length ?? 0;
    for (const _ of step.observation?.results ?? []) roles.push('tool');
  }
  const reward = raw.extra?.reward ?? raw.extra?.verifier_result?.rewards.reward;
  return { roles, actionSteps, stepMessages, toolCalls, reward };
}

describe('ATIF', () => {
  it.each(['atif-v1.4-terminal-task.json', 'atif-v1.6-content-parts.json'])('%s: messages, action steps, tool calls and labels as the raw file gives them', (name) => {
    const { raw, trajectory } = load(name);
    const expected = expectedFromRaw(raw);
    expect(trajectory.format).toBe('atif');
    expect(trajectory.id).toBe(raw.session_id);
    expect(trajectory.messages.map((m) => m.role)).toEqual(expected.roles);
    expect(trajectory.actionSteps).toEqual(expected.actionSteps);
    expect(trajectory.messages.flatMap((m) => m.toolCalls ?? [])).toHaveLength(expected.toolCalls);
    expect(trajectory.labels).toEqual({ reward: expected.reward, success: expected.reward! >= 1 });
    expect(trajectory.metadata.model).toBe(raw.agent.model_name);
    // Each agent step's text: its reasoning in <think>…</think>, a newline, its message (either alone when the other is empty).
    raw.steps.forEach((step, i) => {
      const message = trajectory.messages[expected.stepMessages[i]];
      const text = partsText(step.message);
      const thought = step.reasoning_content ? `<think>\n${step.reasoning_content}\n</think>` : '';
      const full = [thought, text].filter((t) => t !== '').join('\n');
      expect(message.content).toBe(full);
      expect(message.sourceRole).toBe(step.source);
    });
  });

  it('tool results answer their calls: id and tool name; a result without a call id stands alone', () => {
    const { raw, trajectory } = load('atif-v1.4-terminal-task.json');
    const step3 = raw.steps[2];
    const callMessage = trajectory.messages[2];
    expect(callMessage.toolCalls).toEqual(step3.tool_calls!.map((c) => ({ id: c.tool_call_id, name: c.function_name, arguments: c.arguments })));
    expect(trajectory.messages.slice(3, 5)).toEqual(
      step3.observation!.results.map((r) => ({ role: 'tool', sourceRole: 'observation', content: r.content, toolCallId: r.source_call_id, toolName: 'bash' })),
    );
    // Step 5: a shell command in the message, its output with no source_call_id.
    expect(trajectory.messages[8]).toEqual({ role: 'tool', sourceRole: 'observation', content: '1200' });
    expect(trajectory.taskId).toBe('count-csv-rows');
  });

  it('metrics.logprobs are kept on the agent message, with completion_token_ids as ids, and reach the precomputed source', () => {
    const { raw, trajectory } = load('atif-v1.4-terminal-task.json');
    const metrics = raw.steps[5].metrics!;
    const last = trajectory.messages.length - 1;
    expect(trajectory.messages[last].logprobs).toEqual(metrics.logprobs!.map((logprob, i) => ({ logprob, tokenId: metrics.completion_token_ids![i] })));
    const figures = precomputedFromTrajectory(trajectory).stepFigures(last)!;
    expect(Array.from(figures.logprob)).toEqual(metrics.logprobs!.map((v) => Math.fround(v as number)));
    expect(figures.tokenIds).toEqual(metrics.completion_token_ids);
    expect(figures.tokens).toBeNull();
    // Steps without log-probs have none to score from.
    expect(precomputedFromTrajectory(trajectory).stepFigures(2)).toBeNull();
  });

  it('the transcript header shows the agent, model, totals and notes the file gives', () => {
    const { raw, trajectory } = load('atif-v1.4-terminal-task.json');
    const file = raw as unknown as { agent: { name: string; version: string; model_name: string }; notes: string; final_metrics: { total_prompt_tokens: number; total_completion_tokens: number } };
    const facts = Object.fromEntries(describeTrajectory(trajectory).facts.map((f) => [f.key, f.value]));
    expect(facts).toEqual({
      agent: `${file.agent.name} ${file.agent.version}`,
      model: file.agent.model_name,
      tokens: `${file.final_metrics.total_prompt_tokens} prompt · ${file.final_metrics.total_completion_tokens} completion`,
      notes: expect.stringMatching(/^Hand-written for the inspector's tests/),
    });
    const { trajectory: v16 } = load('atif-v1.6-content-parts.json');
    expect(describeTrajectory(v16).facts.find((f) => f.key === 'subagents')?.value).toBe('run-0042-summary-1');
  });

  it('a null log-prob is probability 0 (-Infinity): kept, and the step is not scored from it', () => {
    const { trajectory } = load('atif-v1.6-content-parts.json');
    expect(trajectory.messages[1].logprobs?.map((l) => l.logprob)).toEqual([-0.02, Number.NEGATIVE_INFINITY, -0.5]);
    expect(precomputedFromTrajectory(trajectory).stepFigures(1)).toBeNull();
  });

  it('an ATIF trajectory with bare log-probs and token ids goes into a bundle and comes back the same', () => {
    for (const name of ['atif-v1.4-terminal-task.json', 'atif-v1.6-content-parts.json']) {
      const { trajectory } = load(name);
      // Through JSON as a bundle is written (-Infinity as null), then read back by the bundle's schema.
      const written = JSON.parse(JSON.stringify(trajectory)) as unknown;
      expect(trajectorySchema.parse(written)).toEqual(trajectory);
    }
  });

  it('a system step delegating to a subagent: its reference is kept in the metadata', () => {
    const { trajectory } = load('atif-v1.6-content-parts.json');
    expect(trajectory.metadata.subagentTrajectories).toEqual([{ step_id: 3, session_id: 'run-0042-summary-1', trajectory_path: 'trajectory.summarization-1.json' }]);
    expect(trajectory.messages[4]).toEqual({ role: 'tool', sourceRole: 'observation', content: '' });
  });

  it('a continuation’s copied context (is_copied_context) is kept as messages but not scored again as action steps', () => {
    const steps = [
      { step_id: 1, source: 'user', message: 'old request', is_copied_context: true },
      { step_id: 2, source: 'agent', message: 'old response', is_copied_context: true },
      { step_id: 3, source: 'user', message: 'continue' },
      { step_id: 4, source: 'agent', message: 'new response' },
    ];
    const ref = { session_id: 'run-1', trajectory_path: 'trajectory.json' };
    const result = parseTrajectoryText('cont.json', JSON.stringify({ schema_version: 'ATIF-v1.7', session_id: 'run-1-cont-1', agent: { name: 'a', version: '1' }, steps, continued_trajectory_ref: ref }));
    expect(result.errors).toEqual([]);
    const [t] = result.trajectories;
    expect(t.messages.map((m) => m.content)).toEqual(steps.map((s) => s.message));
    expect(t.actionSteps).toEqual([3]);
    expect(t.metadata).toMatchObject({ copiedContextSteps: 2, continuedTrajectory: ref });
  });

  it('is told from other formats by its schema_version; a near miss names the place', () => {
    const result = parseTrajectoryText('x.json', JSON.stringify({ schema_version: 'ATIF-v1.4', session_id: 's', agent: { name: 'a' }, steps: 'none' }));
    expect(result.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^x\.json: not a known trajectory format; closest is ATIF trajectory: at steps: expected the trajectory’s steps \(an array\), found the string "none"/),
    ]);
  });

  it('the CLI reads the same: inspect --json lists each fixture with the counts from its raw file', () => {
    const names = ['atif-v1.4-terminal-task.json', 'atif-v1.6-content-parts.json'];
    const files = names.map((name) => path.relative(ROOT, path.join(FIXTURES, name)));
    const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'inspect', '--json', ...files], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((r) => [r.file, r.format, r.id, r.messages, r.actionSteps, r.toolCalls, r.reward, r.success])).toEqual(
      names.map((name, i) => {
        const raw = JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as RawAtif;
        const expected = expectedFromRaw(raw);
        return [files[i], 'atif', raw.session_id, expected.roles.length, expected.actionSteps, expected.toolCalls, expected.reward, expected.reward! >= 1];
      }),
    );
  });
});
