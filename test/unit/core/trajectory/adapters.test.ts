/** Detection and edge cases of each format adapter, on small values built here. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import type { ParseContext } from '../../../../src/core/trajectory/adapter';
import { normaliseRole, parseToolArguments, readToolCall } from '../../../../src/core/trajectory/formats/messages';
import { FormatError } from '../../../../src/core/trajectory/formats/shape';
import { detectFormat, explainUnknownFormat, FORMAT_ADAPTERS, adapterById } from '../../../../src/core/trajectory/registry';
import type { FormatId, Trajectory } from '../../../../src/core/trajectory/types';

/** A context that collects skipped records and dropped labels instead of reporting them. */
function context(fileName = 'test.json'): ParseContext & { skipped: { index: number; error: FormatError }[]; dropped: { index?: number; error: FormatError }[] } {
  const skipped: { index: number; error: FormatError }[] = [];
  const dropped: { index?: number; error: FormatError }[] = [];
  return { fileName, skipped, dropped, skipRecord: (index, error) => skipped.push({ index, error }), dropLabel: (error, index) => dropped.push({ index, error }) };
}

function parseAs(id: FormatId, value: unknown, ctx = context()): Trajectory[] {
  expect(detectFormat(value)?.id).toBe(id);
  return adapterById(id)!.parse(value, ctx);
}

function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error('expected a FormatError');
}

const chat = [
  { role: 'user', content: 'hi' },
  { role: 'assistant', content: 'hello' },
];

describe('registry', () => {
  it('lists each supported format once', () => {
    const ids = FORMAT_ADAPTERS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(['atif', 'inspect-ai', 'mini-swe-agent', 'openai-chat', 'openhands', 'otel', 'score-jsonl', 'sharegpt', 'swe-agent', 'tau-bench', 'tau2-bench', 'who-and-when']);
  });

  it.each([
    ['a message list', chat, 'openai-chat'],
    ['a {messages} record', { messages: chat }, 'openai-chat'],
    ['an array of {messages} records', [{ messages: chat }, { messages: chat }], 'openai-chat'],
    ['an OpenHands record (instance_id)', { instance_id: 'x__y-1', messages: chat, resolved: true }, 'openhands'],
    ['a SWE-rebench record (trajectory + resolved 0/1)', { trajectory: chat, resolved: 0 }, 'openhands'],
    ['a nebius SWE-agent record (trajectory of {role, text} + target)', { instance_id: 'a__b-1', target: true, trajectory: [{ role: 'ai', text: 'ls' }] }, 'openhands'],
    ['a ShareGPT record', { conversations: [{ from: 'human', value: 'hi' }] }, 'sharegpt'],
    ['a τ-bench result list', [{ task_id: 1, reward: 1, trial: 0, info: {}, traj: chat }], 'tau-bench'],
    ['a τ²-bench file', { simulations: [{ id: 's', messages: chat }] }, 'tau2-bench'],
    ['a Who&When log', { history: [{ content: 'x', role: 'human' }], mistake_step: '0' }, 'who-and-when'],
    ['a SWE-agent .traj', { trajectory: [{ action: 'ls', observation: '' }], history: chat, info: {} }, 'swe-agent'],
    ['a mini-swe-agent .traj.json', { info: { exit_status: 'Submitted' }, messages: chat, trajectory_format: 'mini-swe-agent-1' }, 'mini-swe-agent'],
    ['an Inspect AI log', { version: 2, eval: { task: 't' }, samples: [{ id: 1, messages: chat }] }, 'inspect-ai'],
    ['an ATIF trajectory', { schema_version: 'ATIF-v1.4', session_id: 's', agent: { name: 'a', version: '1' }, steps: [{ step_id: 1, source: 'user', message: 'hi' }] }, 'atif'],
    ['an OTLP JSON trace', { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [] }] }] }, 'otel'],
  ])('detects %s', (_what, value, id) => {
    expect(detectFormat(value)?.id).toBe(id);
  });

  it.each([['a number', 3], ['a string', 'x'], ['null', null], ['an unrelated object', { a: 1 }], ['an array of numbers', [1, 2]]])(
    'detects nothing in %s',
    (_what, value) => {
      expect(detectFormat(value)).toBeUndefined();
    },
  );

  it('explains an unknown value by its closest miss', () => {
    const error = explainUnknownFormat({ conversations: [{ speaker: 'x' }] });
    expect(error.closest?.adapter.id).toBe('sharegpt');
    expect(error.message).toContain('closest is ShareGPT / AgentInstruct conversations: at conversations[0].role');
  });

  it('lists what each format expects when nothing came close', () => {
    const error = explainUnknownFormat(42);
    expect(error.message.startsWith('not a known trajectory format: found the number 42; expected one of: ')).toBe(true);
    for (const adapter of FORMAT_ADAPTERS) expect(error.message).toContain(adapter.signature);
  });
});

describe('shared message reading', () => {
  it('normalises role spellings and keeps unknown ones unknown', () => {
    expect(['ai', 'gpt', 'Assistant', 'human', 'function', 'observation', 'ipython', 'developer'].map(normaliseRole)).toEqual([
      'assistant',
      'assistant',
      'assistant',
      'user',
      'tool',
      'tool',
      'tool',
      'system',
    ]);
    expect(normaliseRole('robot')).toBeUndefined();
  });

  it('parses argument strings to objects and keeps strings that are not JSON objects', () => {
    expect(parseToolArguments('{"a": 1}', 'arguments')).toEqual({ arguments: { a: 1 }, rawArguments: '{"a": 1}' });
    expect(parseToolArguments({ a: 1 }, 'arguments')).toEqual({ arguments: { a: 1 } });
    expect(parseToolArguments('[1, 2]', 'arguments')).toEqual({ arguments: {}, rawArguments: '[1, 2]' });
    expect(parseToolArguments('', 'arguments')).toEqual({ arguments: {}, rawArguments: '' });
    expect(parseToolArguments('{broken', 'arguments')).toEqual({ arguments: {}, rawArguments: '{broken' });
    expect(parseToolArguments(null, 'arguments')).toEqual({ arguments: {} });
    expect(parseToolArguments([1], 'arguments')).toEqual({ arguments: {}, rawArguments: '[1]' });
  });

  it('reads the three tool-call shapes', () => {
    expect(readToolCall({ id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, 'c')).toEqual({
      id: 'a',
      name: 'f',
      arguments: { x: 1 },
      rawArguments: '{"x":1}',
    });
    expect(readToolCall({ id: 'b', name: 'g', arguments: { y: 2 }, requestor: 'user' }, 'c')).toEqual({ id: 'b', name: 'g', arguments: { y: 2 }, requestor: 'user' });
    expect(readToolCall({ id: 'c', function: 'h', arguments: { z: 3 } }, 'c')).toEqual({ id: 'c', name: 'h', arguments: { z: 3 } });
    expect(formatErrorOf(() => readToolCall({ function: { arguments: '{}' } }, 'm.tool_calls[0]')).message).toBe(
      'at m.tool_calls[0].function.name: expected the function name (a string), found nothing (the field is missing)',
    );
  });
});

describe('OpenAI chat', () => {
  it('reads tool-call-only assistant messages as action steps and content null as empty text', () => {
    const [t] = parseAs('openai-chat', [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [{ id: '1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: '1', content: 'ok' },
    ]);
    expect(t.actionSteps).toEqual([1]);
    expect(t.messages[1].content).toBe('');
  });

  it('reports a bad record of an array and keeps the others', () => {
    const ctx = context();
    const ts = parseAs('openai-chat', [{ messages: chat }, { messages: [{ role: 'user', content: 5 }] }, { id: 'z', messages: chat }], ctx);
    expect(ts.map((t) => t.id)).toEqual(['0', 'z']);
    expect(ctx.skipped).toHaveLength(1);
    expect(ctx.skipped[0].index).toBe(1);
    expect(ctx.skipped[0].error.message).toBe('at [1].messages[0].content: expected a string, null or an array of content parts, found the number 5');
  });

  it('rejects an unknown role with the path and the accepted roles', () => {
    const error = formatErrorOf(() => adapterById('openai-chat')!.parse({ messages: [{ role: 'narrator', content: '' }] }, context()));
    expect(error.path).toBe('messages[0].role');
    expect(error.expected).toContain('one of system, developer, user');
  });

  it('takes success from an explicit boolean over the reward threshold', () => {
    const [t] = parseAs('openai-chat', { messages: chat, reward: 0.2, success: true });
    expect(t.labels).toEqual({ reward: 0.2, success: true });
  });
});

describe('τ-bench', () => {
  it('reads a single result object (one JSON Lines record)', () => {
    const [t] = parseAs('tau-bench', { task_id: 3, reward: 0, trial: 2, info: {}, traj: chat });
    expect(t).toMatchObject({ id: '3#2', taskId: '3', labels: { reward: 0, success: false }, actionSteps: [1] });
  });

  it('requires a task id', () => {
    const error = formatErrorOf(() => adapterById('tau-bench')!.parse({ task_id: null, traj: chat }, context()));
    expect(error.message).toBe('at task_id: expected the task id (an integer), found null');
  });
});

describe('τ²-bench', () => {
  const file = (simulations: unknown[]) => ({ timestamp: 't', info: { agent_info: { llm: 'm' }, environment_info: { domain_name: 'telecom' } }, tasks: [{ id: '7', description: 'x' }], simulations });

  it('keeps user-side tool calls on the user message without making them action steps', () => {
    const [t] = parseAs(
      'tau2-bench',
      file([
        {
          id: 's1',
          task_id: '7',
          trial: 0,
          reward_info: { reward: 1 },
          messages: [
            { role: 'assistant', content: 'Please toggle airplane mode.', tool_calls: null },
            { role: 'user', content: null, tool_calls: [{ id: 'u1', name: 'toggle_airplane_mode', arguments: {}, requestor: 'user' }] },
            { role: 'tool', id: 'u1', content: 'Airplane mode off', requestor: 'user', error: false },
            { role: 'user', content: 'Done.', tool_calls: null },
          ],
        },
      ]),
    );
    expect(t.actionSteps).toEqual([0]);
    expect(t.messages[1]).toEqual({ role: 'user', sourceRole: 'user', content: '', toolCalls: [{ id: 'u1', name: 'toggle_airplane_mode', arguments: {}, requestor: 'user' }] });
    expect(t.messages[2]).toMatchObject({ role: 'tool', toolCallId: 'u1' });
    expect(t.labels).toEqual({ reward: 1, success: true });
    expect(t.metadata).toMatchObject({ domain: 'telecom', agentModel: 'm', task: { id: '7', description: 'x' } });
  });

  it('names a simulation without id by task and trial, and has no labels without reward_info', () => {
    const [t] = parseAs('tau2-bench', file([{ task_id: '7', trial: 3, reward_info: null, messages: chat }]));
    expect(t.id).toBe('7#3');
    expect(t.labels).toEqual({});
  });
});

describe('Who&When', () => {
  const handCrafted = (history: unknown[], extra: Record<string, unknown> = {}) => ({ question: 'q', question_ID: 'q1', history, mistake_agent: 'WebSurfer', mistake_step: '1', ...extra });

  it('accepts mistake_step as a number, and leaves empty messages out of the action steps', () => {
    const [t] = parseAs(
      'who-and-when',
      handCrafted(
        [
          { content: 'task', role: 'human' },
          { content: 'clicked', role: 'WebSurfer' },
          { content: '   ', role: 'Orchestrator (thought)' },
        ],
        { mistake_step: 1 },
      ),
    );
    expect(t.labels).toEqual({ mistakeStep: 1, mistakeAgent: 'WebSurfer' });
    expect(t.actionSteps).toEqual([1]);
    expect(t.metadata.convention).toBe('hand-crafted');
  });

  it('counts a Hand-Crafted first message that is not the human question', () => {
    const [t] = parseAs('who-and-when', handCrafted([{ content: 'plan', role: 'Orchestrator (thought)' }, { content: 'clicked', role: 'WebSurfer' }]));
    expect(t.actionSteps).toEqual([0, 1]);
    expect(t.messages[0]).toMatchObject({ role: 'assistant', name: 'Orchestrator', sourceRole: 'Orchestrator (thought)' });
  });

  it('recognises the Algorithm-Generated convention by its names', () => {
    const [t] = parseAs('who-and-when', {
      question_ID: 'a',
      is_correct: false,
      history: [
        { content: 'task', name: 'Planner_Expert', role: 'assistant' },
        { content: 'exitcode: 0', name: 'Computer_terminal', role: 'user' },
      ],
      mistake_agent: 'Planner_Expert',
      mistake_step: '0',
    });
    expect(t.metadata.convention).toBe('algorithm-generated');
    expect(t.actionSteps).toEqual([0, 1]);
    expect(t.messages.map((m) => [m.role, m.name])).toEqual([
      ['assistant', 'Planner_Expert'],
      ['user', 'Computer_terminal'],
    ]);
    expect(t.labels).toEqual({ mistakeStep: 0, mistakeAgent: 'Planner_Expert', success: false });
  });

  it.each([['-1'], ['1.5'], [''], [true], ['2'], [1e308]])('drops mistake_step %j with a notice and loads the log', (step) => {
    const ctx = context();
    const [t] = adapterById('who-and-when')!.parse(handCrafted([{ content: 'a', role: 'human' }, { content: 'b', role: 'WebSurfer' }], { mistake_step: step }), ctx);
    expect(t.labels.mistakeStep).toBeUndefined();
    expect(t.labels.mistakeAgent).toBe('WebSurfer');
    expect(ctx.dropped).toHaveLength(1);
    expect(ctx.dropped[0].index).toBeUndefined();
    expect(ctx.dropped[0].error.path).toBe('mistake_step');
    expect(ctx.dropped[0].error.expected).toBe('a message index (an integer from 0 to 1)');
  });
});

describe('SWE-agent', () => {
  const step = { action: 'ls', observation: 'a.py', response: 'ls', thought: 'look', state: {} };
  const own = [
    { role: 'system', content: 'SETTING', agent: 'main', message_type: 'system_prompt' },
    { role: 'user', content: 'issue', agent: 'main', message_type: 'observation' },
    { role: 'assistant', content: 'look', agent: 'main', message_type: 'action', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }] },
    { role: 'tool', content: 'a.py', agent: 'main', message_type: 'observation', tool_call_ids: ['c1'] },
  ];

  it('leaves out demonstrations marked message by message and as one message', () => {
    const demoSteps = [
      { role: 'user', content: 'demo issue', agent: 'main', message_type: 'observation', is_demo: true },
      { role: 'assistant', content: 'demo action', agent: 'main', message_type: 'action', is_demo: true },
    ];
    const demoMessage = { role: 'user', content: 'Here is a demonstration…', agent: 'main', message_type: 'demonstration', is_demo: true };
    const [t] = parseAs('swe-agent', { environment: 'main', trajectory: [step], history: [own[0], ...demoSteps, demoMessage, ...own.slice(1)], info: {} }, context('runs/x__y-1.traj'));
    expect(t.messages.map((m) => m.content)).toEqual(own.map((m) => m.content));
    expect(t.actionSteps).toEqual([2]);
    expect(t.messages[2].name).toBe('main');
    expect(t.messages[3]).toMatchObject({ role: 'tool', toolCallId: 'c1' });
    expect(t.metadata.demonstrationMessages).toBe(3);
    expect(t.id).toBe('x__y-1');
    expect(t.taskId).toBeUndefined();
  });

  it('sets success only from info.resolved and reads a replay_config written as a string', () => {
    const [t] = parseAs('swe-agent', {
      environment: 'main',
      trajectory: [step],
      history: own,
      info: { exit_status: 'submitted', resolved: true },
      replay_config: JSON.stringify({ problem_statement: { id: 'owner__repo-7' } }),
    });
    expect(t.labels).toEqual({ success: true });
    expect(t.id).toBe('owner__repo-7');
    expect(t.taskId).toBe('owner__repo-7');
  });
});

describe('ShareGPT', () => {
  it('keeps a function_call value that is not a JSON call as text, and reads a list of calls as parallel calls', () => {
    const [t] = parseAs('sharegpt', {
      conversations: [
        { from: 'human', value: 'q' },
        { from: 'function_call', value: 'not json' },
        { from: 'function_call', value: '[{"name": "a", "arguments": {"x": 1}}, {"name": "b", "arguments": "{\\"y\\": 2}"}]' },
      ],
    });
    expect(t.messages[1]).toEqual({ role: 'assistant', sourceRole: 'function_call', content: 'not json' });
    expect(t.messages[2].toolCalls).toEqual([
      { name: 'a', arguments: { x: 1 } },
      { name: 'b', arguments: { y: 2 }, rawArguments: '{"y": 2}' },
    ]);
    expect(t.actionSteps).toEqual([1, 2]);
  });

  it('names the turn with an unknown speaker', () => {
    const error = formatErrorOf(() => adapterById('sharegpt')!.parse({ conversations: [{ from: 'human', value: 'q' }, { from: 'narrator', value: 'x' }] }, context()));
    expect(error.path).toBe('conversations[1].from');
  });
});

describe('Inspect AI', () => {
  const log = (sample: Record<string, unknown>) => ({ version: 2, status: 'success', eval: { task: 't', model: 'm' }, samples: [{ id: 1, epoch: 1, messages: chat, ...sample }] });

  it.each([
    [{ s: { value: 1 } }, { reward: 1, success: true }],
    [{ s: { value: 0 } }, { reward: 0, success: false }],
    [{ s: { value: true } }, { success: true }],
    [{ s: { value: 'I' } }, { success: false }],
    [{ s: { value: 'C' } }, { success: true }],
    [{ s: { value: { a: 1 } } }, {}],
    [undefined, {}],
  ])('labels scores %j as %j', (scores, labels) => {
    const [t] = parseAs('inspect-ai', log({ scores }));
    expect(t.labels).toEqual(labels);
  });

  it('appends the output message when it is not among the messages, with its log-probs; null log-prob is -Infinity', () => {
    const [t] = parseAs(
      'inspect-ai',
      log({
        messages: [{ role: 'user', content: 'hi' }],
        output: { choices: [{ message: { role: 'assistant', content: 'yo' }, logprobs: { content: [{ token: 'yo', logprob: null }] } }] },
      }),
    );
    expect(t.messages).toHaveLength(2);
    expect(t.messages[1]).toEqual({ role: 'assistant', sourceRole: 'assistant', content: 'yo', logprobs: [{ token: 'yo', logprob: Number.NEGATIVE_INFINITY }] });
    expect(t.actionSteps).toEqual([1]);
  });

  it('says when a log holds no samples', () => {
    const error = formatErrorOf(() => adapterById('inspect-ai')!.parse({ version: 2, status: 'error', eval: { task: 't' } }, context()));
    expect(error.message).toBe('at samples: expected an array of samples (this log has none: header-only or written without samples), found nothing (status "error")');
  });
});

describe('score JSON Lines (the product format)', () => {
  it('reads each record as a trajectory with placeholders for the messages it does not carry', () => {
    const text = readFileSync(resolve(__dirname, '../../../corpus/scores/example.jsonl'), 'utf8');
    const { trajectories, errors } = parseTrajectoryText('example.jsonl', text);
    expect(errors).toEqual([]);
    const records = text.trim().split('\n').map((l) => JSON.parse(l) as { id: string; steps: { message: number; tokens?: string[] }[]; mistakeStep?: number });
    expect(trajectories.map((t) => t.id)).toEqual(records.map((r) => r.id));
    for (const [i, t] of trajectories.entries()) {
      const r = records[i];
      expect(t.format).toBe('score-jsonl');
      expect(t.actionSteps).toEqual(r.steps.map((s) => s.message));
      expect(t.messages.length).toBe(Math.max(...r.steps.map((s) => s.message), r.mistakeStep ?? -1) + 1);
      expect(t.metadata.scoreRecord).toMatchObject({ id: r.id, steps: r.steps });
    }
    // The first step of t1-a carries its token texts: they become the message text.
    expect(trajectories[0].messages[1].content).toBe('The answer');
    expect(trajectories[0].messages[0].content).toBe('(context: not in the score file)');
  });
  it('names the field of an invalid record', () => {
    const { errors } = parseTrajectoryText('bad.jsonl', '{"id":"x","steps":[{"message":0,"policy":[-1,"NaN"],"reference":[-1,-1]}]}\n');
    expect(errors.map((e) => e.message)).toEqual(['bad.jsonl: progress-advantage scores: at steps[0].policy[1]: expected a number, found the string "NaN"']);
  });
});

describe('labels of generic chat records', () => {
  it('reads mistake_step (number or numeric string), mistake_agent and taskId', () => {
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'a' },
      { role: 'assistant', content: 'b' },
    ];
    const lines = [
      JSON.stringify({ id: 'x', task_id: 't', reward: 0, mistake_step: 2, mistake_agent: 'Coder', messages }),
      JSON.stringify({ id: 'y', taskId: 'u', mistakeStep: '1', messages }),
      JSON.stringify({ id: 'z', mistake_step: 'soon', messages }),
    ].join('\n');
    const { trajectories, errors } = parseTrajectoryText('labels.jsonl', lines);
    expect(errors).toEqual([
      {
        file: 'labels.jsonl',
        message: 'labels.jsonl:3: OpenAI chat messages: at mistake_step: expected a message index (an integer from 0 to 2), found the string "soon"; the trajectory is loaded without this label',
        line: 3,
        record: 2,
        severity: 'notice',
      },
    ]);
    expect(trajectories.map((t) => [t.taskId, t.labels])).toEqual([
      ['t', { reward: 0, success: false, mistakeStep: 2, mistakeAgent: 'Coder' }],
      ['u', { mistakeStep: 1 }],
      [undefined, {}],
    ]);
  });
});

describe('OpenHands / nebius SWE-agent records', () => {
  const trajectory = [
    { role: 'system', system_prompt: 'You are an autonomous programmer.', text: null, mask: false },
    { role: 'user', text: 'ISSUE: x', system_prompt: null, mask: false },
    { role: 'ai', text: '```\nls\n```', system_prompt: null, mask: true },
  ];

  it('reads target true / false as success, and text / system_prompt as the message text', () => {
    const [won] = parseAs('openhands', { instance_id: 'a__b-1', model_name: 'swe-agent-llama-8b', target: true, trajectory });
    const [lost] = parseAs('openhands', { instance_id: 'a__b-2', target: false, trajectory });
    expect(won.labels).toEqual({ success: true });
    expect(lost.labels).toEqual({ success: false });
    expect(won.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'You are an autonomous programmer.'],
      ['user', 'ISSUE: x'],
      ['assistant', '```\nls\n```'],
    ]);
    expect(won.actionSteps).toEqual([2]);
  });

  it('leaves success unset when target is not a boolean, and lets resolved win over target', () => {
    expect(parseAs('openhands', { instance_id: 'a', target: 'yes', trajectory })[0].labels).toEqual({});
    expect(parseAs('openhands', { instance_id: 'a', target: false, resolved: 1, trajectory })[0].labels).toEqual({ success: true });
  });

  it('names the place of a text that is not a string', () => {
    const error = formatErrorOf(() => adapterById('openhands')!.parse({ instance_id: 'a', trajectory: [{ role: 'ai', text: 5 }] }, context()));
    expect(error.message).toContain('trajectory[0].text');
  });
});
