/**
 * test/corpus/bad: files that must fail, with the exact error text in expected.json.
 * test/corpus/good: hand-written examples of the formats that have no shared fixture,
 * written from the formats' documented shapes (nebius-swe-agent-trajectories.json: two records
 * trimmed from the Agent Data Protocol's raw sample of nebius/SWE-agent-trajectories, CC BY 4.0).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrajectoryBytes, type FileError } from '../../../../src/core/trajectory/ingest';
import { archiveKindOf, readTrajectoryInput } from '../../../../src/core/trajectory/archive/read-input';
import type { Trajectory } from '../../../../src/core/trajectory/types';

const here = path.dirname(fileURLToPath(import.meta.url));
const BAD = path.resolve(here, '../../../corpus/bad');
const GOOD = path.resolve(here, '../../../corpus/good');

interface Expected {
  trajectories: string[];
  errors: FileError[];
}

describe('bad corpus', () => {
  const expected = JSON.parse(readFileSync(path.join(BAD, 'expected.json'), 'utf8')) as Record<string, Expected>;
  const files = readdirSync(BAD)
    .filter((name) => name !== 'expected.json')
    .sort();

  it('has an expectation for every file and a file for every expectation', () => {
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('%s gives exactly the expected errors', async (name) => {
    const bytes = readFileSync(path.join(BAD, name));
    // Archives (Inspect .eval logs, .zip, .tar.gz) are read from a stream, entry by entry.
    const result = archiveKindOf(bytes) ? await readTrajectoryInput(name, new Blob([bytes]).stream()) : parseTrajectoryBytes(name, bytes);
    expect(result.errors).toEqual(expected[name].errors);
    expect(result.trajectories.map((t) => t.id)).toEqual(expected[name].trajectories);
  });

  it('every error message starts with the file name and its place', () => {
    for (const [name, { errors }] of Object.entries(expected)) {
      for (const error of errors) {
        expect(error.file).toBe(name);
        // Inside an archive, the entry follows the archive's name: `a.zip: run/b.json:3:4: …`.
        const file = error.entry === undefined ? name : `${name}: ${error.entry}`;
        const place = error.line === undefined ? file : error.column === undefined ? `${file}:${error.line}` : `${file}:${error.line}:${error.column}`;
        expect(error.message.startsWith(`${place}: `)).toBe(true);
      }
    }
  });
});

function loadGood(name: string): Trajectory[] {
  const result = parseTrajectoryBytes(name, readFileSync(path.join(GOOD, name)));
  expect(result.errors).toEqual([]);
  return result.trajectories;
}

describe('good corpus', () => {
  it('covers every file in the folder', () => {
    expect(readdirSync(GOOD).sort()).toEqual([
      'inspect-ai-log.json',
      'nebius-swe-agent-trajectories.json',
      'openai-chat-records.jsonl',
      'openai-chat-tools.json',
      'openhands-swe-gym.jsonl',
      'sharegpt-from-value.json',
      'sharegpt-role-content.jsonl',
      'tau-bench-results.json',
    ]);
  });

  it('OpenAI chat: parallel calls, broken arguments, legacy function_call, role function, content null and parts', () => {
    const [t] = loadGood('openai-chat-tools.json');
    expect(t.format).toBe('openai-chat');
    expect(t.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool', 'assistant', 'tool', 'assistant']);
    expect(t.actionSteps).toEqual([2, 5, 7]);

    const parallel = t.messages[2];
    expect(parallel.content).toBe('');
    expect(parallel.toolCalls).toEqual([
      { id: 'call_paris', name: 'get_weather', arguments: { city: 'Paris', unit: 'C' }, rawArguments: '{"city": "Paris", "unit": "C"}' },
      { id: 'call_oslo', name: 'get_weather', arguments: {}, rawArguments: '{city: Oslo}' },
    ]);
    expect(t.messages[3]).toMatchObject({ role: 'tool', toolCallId: 'call_paris', toolName: 'get_weather' });
    expect(t.messages[3].name).toBeUndefined();

    expect(t.messages[5].toolCalls).toEqual([{ name: 'get_weather', arguments: { city: 'Oslo' }, rawArguments: '{"city": "Oslo"}' }]);
    expect(t.messages[6]).toMatchObject({ role: 'tool', sourceRole: 'function', toolName: 'get_weather', content: '{"temp": 9}' });
    // Text parts joined by a newline; the image part carries no text.
    expect(t.messages[7].content).toBe('Paris: 18 °C.\nOslo: 9 °C.');
  });

  it('OpenAI chat JSON Lines: records and bare message lists, ids, labels, developer and ipython roles', () => {
    const ts = loadGood('openai-chat-records.jsonl');
    expect(ts.map((t) => t.id)).toEqual(['conv-a', '1', '2']);
    expect(ts[0]).toMatchObject({ taskId: 'math-1', labels: { reward: 1, success: true }, actionSteps: [1] });
    expect(ts[1].messages[1]).toMatchObject({ role: 'assistant', name: 'greeter' });
    expect(ts[1].labels).toEqual({});
    expect(ts[2].messages.map((m) => [m.role, m.sourceRole])).toEqual([
      ['system', 'developer'],
      ['user', 'user'],
      ['assistant', 'assistant'],
      ['tool', 'ipython'],
      ['assistant', 'assistant'],
    ]);
    expect(ts[2].messages[2].toolCalls).toEqual([{ id: 'c1', name: 'python', arguments: {}, rawArguments: 'print(1+2+3)' }]);
    expect(ts[2].labels).toEqual({ reward: 0.5, success: false });
    expect(ts[2].metadata.sourceLine).toBe(4);
  });

  it('τ-bench results: task_id#trial ids, rewards, tool-calling traj', () => {
    const ts = loadGood('tau-bench-results.json');
    expect(ts.map((t) => [t.format, t.id, t.taskId, t.labels.reward, t.labels.success])).toEqual([
      ['tau-bench', '5#0', '5', 1, true],
      ['tau-bench', '5#1', '5', 0, false],
    ]);
    expect(ts[0].actionSteps).toEqual([2, 4]);
    expect(ts[0].messages[2].toolCalls).toEqual([
      { id: 'call_1', name: 'get_user_details', arguments: { user_id: 'mia_li_3668' }, rawArguments: '{"user_id":"mia_li_3668"}' },
    ]);
    expect(ts[0].metadata.info).toBeDefined();
    expect(ts[0].metadata.traj).toBeUndefined();
  });

  it('ShareGPT from/value: AgentInstruct and LLaMA-Factory tool conventions', () => {
    const [agentInstruct, toolUse] = loadGood('sharegpt-from-value.json');
    expect(agentInstruct.id).toBe('os_0');
    expect(agentInstruct.messages.map((m) => [m.role, m.sourceRole])).toEqual([
      ['user', 'human'],
      ['assistant', 'gpt'],
      ['user', 'human'],
      ['assistant', 'gpt'],
    ]);
    expect(agentInstruct.actionSteps).toEqual([1, 3]);

    expect(toolUse.id).toBe('1');
    expect(toolUse.messages.map((m) => [m.role, m.sourceRole])).toEqual([
      ['system', 'system'],
      ['user', 'human'],
      ['assistant', 'function_call'],
      ['tool', 'observation'],
      ['assistant', 'gpt'],
    ]);
    expect(toolUse.messages[2]).toMatchObject({ content: '', toolCalls: [{ name: 'get_weather', arguments: { location: 'Jinan' } }] });
    expect(toolUse.actionSteps).toEqual([2, 4]);
    expect(typeof toolUse.metadata.tools).toBe('string');
  });

  it('ShareGPT role/content lines', () => {
    const ts = loadGood('sharegpt-role-content.jsonl');
    expect(ts.map((t) => [t.format, t.id, t.actionSteps])).toEqual([
      ['sharegpt', 'rc-1', [2]],
      ['sharegpt', 'rc-2', [1]],
    ]);
    expect(ts[1].messages[1]).toMatchObject({ role: 'assistant', sourceRole: 'ai', content: '11' });
  });

  it('OpenHands / SWE-Gym: resolved as boolean and 0/1, content parts, duplicate instance ids made unique', () => {
    const ts = loadGood('openhands-swe-gym.jsonl');
    expect(ts.map((t) => [t.format, t.id, t.taskId, t.labels.success])).toEqual([
      ['openhands', 'getmoto__moto-5752', 'getmoto__moto-5752', true],
      ['openhands', 'getmoto__moto-5752~2', 'getmoto__moto-5752', false],
      ['openhands', 'chatcmpl-27dd', 'PlasmaFAIR__sdf-xarray-24', false],
    ]);
    expect(ts[0].messages[0].content).toBe('You are OpenHands agent.');
    expect(ts[0].messages[2].toolCalls).toEqual([
      { id: 'toolu_01', name: 'execute_bash', arguments: { command: 'ls /workspace' }, rawArguments: '{"command": "ls /workspace"}' },
    ]);
    expect(ts[0].actionSteps).toEqual([2, 4]);
    expect(Array.isArray(ts[0].metadata.tools)).toBe(true);
    expect(ts[2].actionSteps).toEqual([2]);
  });

  it('nebius SWE-agent trajectories (Agent Data Protocol raw): text / system_prompt as content, role ai, target as success', () => {
    const ts = loadGood('nebius-swe-agent-trajectories.json');
    expect(ts.map((t) => [t.format, t.id, t.taskId, t.labels.success])).toEqual([
      ['openhands', 'marshmallow-code__apispec-382', 'marshmallow-code__apispec-382', false],
      ['openhands', 'tomerfiliba__plumbum-366', 'tomerfiliba__plumbum-366', true],
    ]);
    expect(ts[0].messages.map((m) => [m.role, m.sourceRole])).toEqual([
      ['system', 'system'],
      ['user', 'user'],
      ['assistant', 'ai'],
      ['user', 'user'],
      ['assistant', 'ai'],
    ]);
    expect(ts[0].messages[0].content.startsWith('SETTING: You are an autonomous programmer')).toBe(true);
    expect(ts[0].messages[2].content).toContain('search_dir "paths" src');
    expect(ts[0].actionSteps).toEqual([2, 4]);
    expect(ts[0].metadata.model_name).toBe('swe-agent-llama-70b');
  });

  it('Inspect AI: Inspect tool calls, score labels, logprobs on the output message, attachments resolved', () => {
    const [first, second] = loadGood('inspect-ai-log.json');
    expect(first).toMatchObject({ format: 'inspect-ai', id: '1#1', taskId: '1', labels: { success: true } });
    expect(first.labels.reward).toBeUndefined();
    expect(first.messages[1].toolCalls).toEqual([{ id: 'call_add', name: 'add', arguments: { x: 2, y: 3 } }]);
    expect(first.messages[2]).toMatchObject({ role: 'tool', toolCallId: 'call_add', toolName: 'add', content: '5' });
    expect(first.actionSteps).toEqual([1, 3]);
    // The output message is messages[3] (same id): its log-probs go there, nothing is appended.
    expect(first.messages).toHaveLength(4);
    // Its reasoning part is kept as text before the answer (issue 17: Inspect's reasoning is read).
    expect(first.messages[3].content).toBe('<think>\n2+3=5\n</think>\n5');
    expect(first.messages[3].logprobs).toEqual([
      { token: '5', logprob: -0.0012, topLogprobs: [{ token: '5', logprob: -0.0012 }, { token: '6', logprob: -7.1 }] },
    ]);
    expect(first.messages[1].logprobs).toBeUndefined();

    expect(second).toMatchObject({ id: 'two#2', taskId: 'two', labels: { reward: 0.5, success: false } });
    expect(second.messages[1].content).toBe('What is the capital of Portugal?');
    expect(second.messages[2].logprobs?.map((l) => l.token)).toEqual(['Port', 'o']);
    expect(second.metadata.target).toEqual(['Lisbon']);
    expect(second.metadata.model).toBe('openai/gpt-4o-mini');
  });
});
