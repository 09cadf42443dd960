/**
 * The coding-agent fixtures in ../shared/fixtures/trajectories (Claude Code session, Codex CLI
 * rollout, mini-swe-agent run), read through the core ingestion path and through the CLI's
 * `inspect --json`. Every expected count is worked out here from the raw lines, not by the adapters.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeTrajectory } from '../../../../src/core/trajectory/describe';
import { parseTrajectoryBytes, parseTrajectoryText } from '../../../../src/core/trajectory/ingest';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../../..');
const FIXTURES = path.resolve(ROOT, '../shared/fixtures/trajectories');
const CLAUDE = path.join(FIXTURES, 'claude_code/sample_session.jsonl');
const CODEX = path.join(FIXTURES, 'codex/sample_codex_session.jsonl');
const MINI = path.join(FIXTURES, 'mini_swe_agent/github_issue.traj.json');

type Json = Record<string, unknown>;
const rawLines = (file: string): Json[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Json);
const load = (file: string) => parseTrajectoryBytes(path.basename(file), readFileSync(file));

interface Expected {
  roles: string[];
  contents: string[];
  toolCalls: { id: string; name: string; arguments: unknown }[];
  toolResults: { callId: string; content: string }[];
}

/** Claude Code, by hand: user / assistant lines in file order (the sample has no parentUuid); tool_result blocks are tool messages. */
function expectedClaude(lines: Json[]): Expected & { sessionId: string; summaries: number } {
  const out: Expected = { roles: [], contents: [], toolCalls: [], toolResults: [] };
  let summaries = 0;
  for (const line of lines) {
    if (line.type === 'summary') summaries += 1;
    if (line.type !== 'user' && line.type !== 'assistant') continue;
    const content = (line.message as { content: string | Json[] }).content;
    if (typeof content === 'string') {
      out.roles.push(line.type);
      out.contents.push(content);
      continue;
    }
    if (line.type === 'assistant') {
      out.roles.push('assistant');
      out.contents.push(content.filter((b) => b.type === 'text').map((b) => b.text as string).join('\n'));
      for (const b of content.filter((b) => b.type === 'tool_use')) out.toolCalls.push({ id: b.id as string, name: b.name as string, arguments: b.input });
      continue;
    }
    for (const b of content.filter((b) => b.type === 'tool_result')) {
      out.roles.push('tool');
      out.contents.push(b.content as string);
      out.toolResults.push({ callId: b.tool_use_id as string, content: b.content as string });
    }
    const own = content.filter((b) => b.type !== 'tool_result');
    if (own.length > 0) {
      out.roles.push('user');
      out.contents.push(own.map((b) => b.text as string).join('\n'));
    }
  }
  return { ...out, sessionId: lines.find((l) => typeof l.sessionId === 'string')!.sessionId as string, summaries };
}

/** Codex, by hand: response_item messages (the sample has no calls); session_meta gives the id. */
function expectedCodex(lines: Json[]): Expected & { sessionId: string } {
  const out: Expected = { roles: [], contents: [], toolCalls: [], toolResults: [] };
  for (const line of lines) {
    const payload = line.payload as Json;
    if (line.type !== 'response_item' || payload.type !== 'message') continue;
    out.roles.push(payload.role as string);
    out.contents.push((payload.content as Json[]).map((p) => p.text as string).join('\n'));
  }
  return { ...out, sessionId: (lines.find((l) => l.type === 'session_meta')!.payload as Json).id as string };
}

const assistantIndices = (roles: string[]) => roles.flatMap((r, i) => (r === 'assistant' ? [i] : []));

describe('Claude Code fixture', () => {
  const lines = rawLines(CLAUDE);
  const expected = expectedClaude(lines);

  it('is one session: messages, action steps, tool calls and results as the raw lines say', () => {
    const { trajectories, errors } = load(CLAUDE);
    expect(errors).toEqual([]);
    expect(trajectories).toHaveLength(1);
    const [t] = trajectories;
    expect(t).toMatchObject({ format: 'claude-code', id: expected.sessionId, labels: {} });
    // 8 lines: one summary, 4 user lines (2 of them tool results), 3 assistant lines.
    expect(lines).toHaveLength(8);
    expect(t.messages.map((m) => m.role)).toEqual(expected.roles);
    expect(t.messages).toHaveLength(7);
    expect(t.messages.map((m) => m.content)).toEqual(expected.contents);
    expect(t.actionSteps).toEqual(assistantIndices(expected.roles));
    expect(t.actionSteps).toHaveLength(3);
    const calls = t.messages.flatMap((m) => m.toolCalls ?? []);
    expect(calls).toEqual(expected.toolCalls);
    expect(calls).toHaveLength(2);
    const results = t.messages.filter((m) => m.role === 'tool');
    expect(results.map((m) => ({ callId: m.toolCallId, content: m.content }))).toEqual(expected.toolResults);
    // Each result names the tool whose call it answers.
    expect(results.map((m) => m.toolName)).toEqual(expected.toolResults.map((r) => expected.toolCalls.find((c) => c.id === r.callId)!.name));
    expect(t.metadata.skippedLines).toEqual({ summary: expected.summaries });
    expect(t.metadata.summaries).toEqual(lines.filter((l) => l.type === 'summary').map((l) => l.summary));
  });
});

describe('Codex CLI fixture', () => {
  const lines = rawLines(CODEX);
  const expected = expectedCodex(lines);

  it('is one rollout: its response_item messages, the assistant turn as the action step', () => {
    const { trajectories, errors } = load(CODEX);
    expect(errors).toEqual([]);
    expect(trajectories).toHaveLength(1);
    const [t] = trajectories;
    expect(t).toMatchObject({ format: 'codex', id: expected.sessionId, labels: {} });
    expect(t.messages.map((m) => m.role)).toEqual(expected.roles);
    expect(t.messages.map((m) => m.content)).toEqual(expected.contents);
    expect(t.messages).toHaveLength(2);
    expect(t.actionSteps).toEqual(assistantIndices(expected.roles));
    expect(t.messages.flatMap((m) => m.toolCalls ?? [])).toEqual([]);
    const meta = lines[0].payload as Json;
    expect(t.metadata).toMatchObject({ cwd: meta.cwd, cliVersion: meta.cli_version, instructions: meta.instructions, sourceLine: 1 });
  });
});

describe('mini-swe-agent fixture', () => {
  // The fixture is the bare message list (mini-swe-agent's test data); save_traj wraps that list as below.
  const messages = JSON.parse(readFileSync(MINI, 'utf8')) as { role: string; content: string }[];
  const roles = messages.map((m) => m.role);

  it('the bare message list loads as OpenAI chat messages with every message and the assistant turns as steps', () => {
    const [t] = load(MINI).trajectories;
    expect(t.format).toBe('openai-chat');
    expect(t.messages.map((m) => m.content)).toEqual(messages.map((m) => m.content));
    expect(t.actionSteps).toEqual(assistantIndices(roles));
    expect(t.actionSteps).toHaveLength(10);
  });

  it.each([
    ['Submitted', undefined],
    ['LimitsExceeded', false],
  ])('as save_traj writes it (exit status %s): a mini-swe-agent run, success %s', (exitStatus, success) => {
    const submission = messages[messages.length - 1].content;
    const saved = { info: { exit_status: exitStatus, submission, model_stats: { instance_cost: 0.1, api_calls: 12 }, mini_version: '1.0.0' }, messages, trajectory_format: 'mini-swe-agent-1' };
    const { trajectories, errors } = parseTrajectoryText('github_issue.traj.json', JSON.stringify(saved, null, 2));
    expect(errors).toEqual([]);
    const [t] = trajectories;
    expect(t).toMatchObject({ format: 'mini-swe-agent', id: 'github_issue', metadata: { exitStatus, submission } });
    expect(t.labels.success).toBe(success);
    expect(t.messages.map((m) => [m.role, m.content])).toEqual(messages.map((m) => [m.role, m.content]));
    expect(t.actionSteps).toEqual(assistantIndices(roles));
    // The transcript header's facts: how the run ended.
    expect(describeTrajectory(t).facts.find((f) => f.key === 'exit-status')?.value).toBe(exitStatus);
  });
});

describe('the CLI reads the same', () => {
  it('inspect --json lists each fixture with the messages, action steps and labels counted from its raw file', () => {
    const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'inspect', '--json', CLAUDE, CODEX, MINI], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    const claude = expectedClaude(rawLines(CLAUDE));
    const codex = expectedCodex(rawLines(CODEX));
    const mini = JSON.parse(readFileSync(MINI, 'utf8')) as { role: string }[];
    expect(rows.map((r) => [r.file, r.format, r.id, r.messages, r.actionSteps, r.success])).toEqual([
      [CLAUDE, 'claude-code', claude.sessionId, claude.roles.length, assistantIndices(claude.roles), null],
      [CODEX, 'codex', codex.sessionId, codex.roles.length, assistantIndices(codex.roles), null],
      [MINI, 'openai-chat', '0', mini.length, assistantIndices(mini.map((m) => m.role)), null],
    ]);
  });
});
