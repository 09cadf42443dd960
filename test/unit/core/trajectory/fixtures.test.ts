/**
 * The real benchmark files in ../shared/fixtures/trajectories, read through the ingestion path.
 * Every expectation is worked out here from the raw JSON, independently of the adapters.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrajectoryBytes, type ParseResult } from '../../../../src/core/trajectory/ingest';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(here, '../../../../../shared/fixtures/trajectories');

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
}

const dataFiles = walk(FIXTURES).filter((f) => /\.(json|jsonl|traj)$/.test(f));

function load(file: string): ParseResult {
  return parseTrajectoryBytes(path.relative(FIXTURES, file), readFileSync(file));
}

// Raw shapes as the benchmark repositories write them (only the fields the checks use).
interface RawWhoAndWhen {
  question_ID: string;
  history: { content: string; role: string; name?: string }[];
  mistake_step: string;
  mistake_agent: string;
  is_correct?: boolean;
  /** Hand-Crafted logs' spelling of is_correct. */
  is_corrected?: boolean;
}
interface RawTau2 {
  simulations: {
    id: string;
    task_id: string;
    trial: number;
    reward_info: { reward: number };
    messages: { role: string; content: string | null; id?: string; tool_calls: { id: string; name: string; arguments: object; requestor: string }[] | null }[];
  }[];
}
interface RawSweAgent {
  trajectory: { action: string }[];
  history: { role: string; is_demo?: boolean; message_type?: string; tool_calls?: { function: { name: string; arguments: string } }[] }[];
  info: { exit_status: string };
}

const raw = <T,>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('shared fixtures', () => {
  it('finds the fixture files', () => {
    expect(dataFiles.length).toBe(21);
  });

  // Claude Code and Codex sessions included: one trajectory per file (session-fixtures.test.ts checks their contents).
  it.each(dataFiles.map((f) => [path.relative(FIXTURES, f), f]))('%s loads without errors', (_name, file) => {
    const result = load(file);
    expect(result.errors).toEqual([]);
    expect(result.trajectories.length).toBeGreaterThan(0);
    const ids = result.trajectories.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('Who&When fixtures', () => {
  const files = dataFiles.filter((f) => f.includes(`${path.sep}who_and_when${path.sep}`));
  const algorithmGenerated = files.filter((f) => f.includes('Algorithm-Generated'));
  const handCrafted = files.filter((f) => f.includes('Hand-Crafted'));

  it('has 10 Algorithm-Generated and 5 Hand-Crafted logs; every Hand-Crafted log opens with the human question', () => {
    expect(algorithmGenerated).toHaveLength(10);
    expect(handCrafted).toHaveLength(5);
    for (const f of handCrafted) expect(raw<RawWhoAndWhen>(f).history[0].role).toBe('human');
  });

  it.each(files.map((f) => [path.relative(FIXTURES, f), f]))('%s: labels, messages and action steps', (_name, file) => {
    const log = raw<RawWhoAndWhen>(file);
    const isHandCrafted = file.includes('Hand-Crafted');
    const { trajectories } = load(file);
    expect(trajectories).toHaveLength(1);
    const t = trajectories[0];

    expect(t.format).toBe('who-and-when');
    expect(t.id).toBe(log.question_ID);
    expect(t.taskId).toBe(log.question_ID);
    expect(typeof log.mistake_step).toBe('string');
    expect(t.labels.mistakeStep).toBe(Number.parseInt(log.mistake_step, 10));
    expect(t.labels.mistakeAgent).toBe(log.mistake_agent);
    const flag = log.is_correct ?? log.is_corrected;
    expect(t.labels.success).toBe(typeof flag === 'boolean' ? flag : undefined);

    expect(t.messages).toHaveLength(log.history.length);
    t.messages.forEach((m, i) => {
      expect(m.sourceRole).toBe(log.history[i].role);
      expect(m.content).toBe(log.history[i].content);
    });

    // Action steps: every non-empty message, except a Hand-Crafted log's opening human question.
    const expectedSteps = log.history
      .map((m, i) => ({ m, i }))
      .filter(({ m, i }) => m.content.trim() !== '' && !(isHandCrafted && i === 0 && m.role === 'human'))
      .map(({ i }) => i);
    expect(t.actionSteps).toEqual(expectedSteps);

    // Pinned property of these 15 logs: the labelled step was written by the labelled agent
    // (Algorithm-Generated: `name`; Hand-Crafted: the role label), and it is an action step.
    const step = Number(log.mistake_step);
    const author = isHandCrafted ? log.history[step].role : log.history[step].name;
    expect(author).toBe(log.mistake_agent);
    expect(t.messages[step].name).toBe(log.mistake_agent);
    expect(t.actionSteps).toContain(step);
  });

  it('reads agent names per convention', () => {
    const ag = load(algorithmGenerated[0]).trajectories[0];
    const agRaw = raw<RawWhoAndWhen>(algorithmGenerated[0]);
    expect(ag.messages.map((m) => m.name)).toEqual(agRaw.history.map((m) => m.name));
    expect(ag.messages.map((m) => m.role)).toEqual(agRaw.history.map((m) => m.role));

    const hc = load(handCrafted[0]).trajectories[0];
    expect(hc.messages[0]).toMatchObject({ role: 'user', sourceRole: 'human' });
    expect(hc.messages[0].name).toBeUndefined();
    for (const m of hc.messages.slice(1)) {
      expect(m.role).toBe('assistant');
      // `Orchestrator (-> WebSurfer)` is the Orchestrator speaking.
      expect(m.name).toBe(m.sourceRole.split(' (')[0]);
    }
  });
});

describe('τ²-bench fixture', () => {
  const file = dataFiles.find((f) => f.includes('tau2_bench'))!;
  const data = raw<RawTau2>(file);

  it('has one trajectory per simulation, in order, with the file’s ids, rewards and action steps', () => {
    const { trajectories } = load(file);
    expect(data.simulations).toHaveLength(16);
    expect(trajectories).toHaveLength(16);
    trajectories.forEach((t, k) => {
      const sim = data.simulations[k];
      expect(t.format).toBe('tau2-bench');
      expect(t.id).toBe(sim.id);
      expect(t.taskId).toBe(String(sim.task_id));
      expect(t.labels.reward).toBe(sim.reward_info.reward);
      expect(t.labels.success).toBe(sim.reward_info.reward >= 1);
      expect(t.messages).toHaveLength(sim.messages.length);
      const assistantIndices = sim.messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : []));
      expect(t.actionSteps).toEqual(assistantIndices);
    });
  });

  it('is 4 tasks × 4 trials with 0/1 rewards', () => {
    const pairs = new Set(data.simulations.map((s) => `${s.task_id}/${s.trial}`));
    expect(pairs.size).toBe(16);
    expect(new Set(data.simulations.map((s) => s.task_id)).size).toBe(4);
    const { trajectories } = load(file);
    const successes = trajectories.filter((t) => t.labels.success).length;
    expect(successes).toBe(data.simulations.filter((s) => s.reward_info.reward === 1).length);
    expect(trajectories.every((t) => t.labels.reward === 0 || t.labels.reward === 1)).toBe(true);
  });

  it('keeps flat tool calls with their object arguments and links tool results to them', () => {
    const { trajectories } = load(file);
    let calls = 0;
    trajectories.forEach((t, k) => {
      data.simulations[k].messages.forEach((m, i) => {
        const parsed = t.messages[i];
        expect(parsed.sourceRole).toBe(m.role);
        expect(parsed.content).toBe(m.content ?? '');
        const rawCalls = m.tool_calls ?? [];
        expect(parsed.toolCalls ?? []).toHaveLength(rawCalls.length);
        rawCalls.forEach((c, j) => {
          calls += 1;
          expect(parsed.toolCalls![j]).toEqual({ id: c.id, name: c.name, arguments: c.arguments, requestor: c.requestor });
        });
        if (m.role === 'tool') expect(parsed.toolCallId).toBe(m.id);
      });
    });
    expect(calls).toBeGreaterThan(0);
  });
});

describe('SWE-agent fixture', () => {
  const file = dataFiles.find((f) => f.endsWith('.traj'))!;
  const data = raw<RawSweAgent>(file);

  it('has one action step per trajectory step, each with the step’s tool call', () => {
    const { trajectories } = load(file);
    expect(trajectories).toHaveLength(1);
    const t = trajectories[0];
    expect(t.format).toBe('swe-agent');
    expect(t.taskId).toBe('marshmallow-code__marshmallow-1867');
    expect(t.actionSteps).toHaveLength(data.trajectory.length);
    const ownHistory = data.history.filter((m) => !m.is_demo && m.message_type !== 'demonstration');
    expect(t.messages).toHaveLength(ownHistory.length);
    expect(t.actionSteps).toEqual(ownHistory.flatMap((m, i) => (m.role === 'assistant' ? [i] : [])));
    t.actionSteps.forEach((messageIndex, k) => {
      const calls = t.messages[messageIndex].toolCalls ?? [];
      expect(calls).toHaveLength(1);
      // The trajectory step's action is what the call ran: a bash command, or a tool's command line.
      const action = data.trajectory[k].action;
      if (calls[0].name === 'bash') expect(calls[0].arguments.command).toBe(action);
      else expect(action.trim().split(/\s+/)[0]).toBe(calls[0].name);
      const rawCall = ownHistory[messageIndex].tool_calls![0];
      expect(calls[0].arguments).toEqual(JSON.parse(rawCall.function.arguments));
    });
  });

  it('reports the exit status but no success label (the file does not say whether it was resolved)', () => {
    const t = load(file).trajectories[0];
    expect(t.metadata.exitStatus).toBe(data.info.exit_status);
    expect(t.labels.success).toBeUndefined();
    expect(t.labels.reward).toBeUndefined();
  });
});
