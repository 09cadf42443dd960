/** Claude Code sessions: the parentUuid chain, streamed messages, sidechains, skipped lines (formats/claude-code.ts). */
import { describe, expect, it } from 'vitest';
import { parseTrajectoryText } from '../../../../../src/core/trajectory/ingest';

type Json = Record<string, unknown>;
const SESSION = 'sess-1';

function line(type: string, uuid: string, parentUuid: string | null, message: Json | undefined, extra: Json = {}): Json {
  return { type, uuid, parentUuid, sessionId: SESSION, isSidechain: false, ...(message ? { message } : {}), ...extra };
}
const user = (uuid: string, parent: string | null, content: unknown, extra: Json = {}) => line('user', uuid, parent, { role: 'user', content }, extra);
const assistant = (uuid: string, parent: string | null, id: string, content: unknown, extra: Json = {}) => line('assistant', uuid, parent, { id, role: 'assistant', model: 'claude-sonnet-4', content }, extra);
const text = (t: string) => ({ type: 'text', text: t });
const toolUse = (id: string, name: string, input: Json) => ({ type: 'tool_use', id, name, input });
const toolResult = (id: string, content: unknown) => ({ type: 'tool_result', tool_use_id: id, content });
const jsonl = (lines: Json[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

function read(lines: Json[], name = 'session.jsonl') {
  const result = parseTrajectoryText(name, jsonl(lines));
  expect(result.errors).toEqual([]);
  return result.trajectories;
}

describe('Claude Code sessions', () => {
  it('merges an assistant message streamed over lines (same message.id); thinking is kept as <think>; tool results are tool messages', () => {
    const [t] = read([
      user('u1', null, 'Fix the bug'),
      assistant('a1', 'u1', 'msg_1', [{ type: 'thinking', thinking: 'Read the file first.', signature: 'sig' }]),
      assistant('a2', 'a1', 'msg_1', [text('Reading it.')]),
      assistant('a3', 'a2', 'msg_1', [toolUse('t1', 'Read', { path: 'a.py' })]),
      assistant('a4', 'a3', 'msg_1', [toolUse('t2', 'Read', { path: 'b.py' })]),
      // Claude Code may hang the results on the first line of the message: the whole message stays.
      user('r1', 'a3', [toolResult('t1', [text('print(1)'), { type: 'image', source: {} }])]),
      user('r2', 'r1', [toolResult('t2', 'print(2)'), text('and mind the tests')]),
      assistant('a5', 'r2', 'msg_2', [{ type: 'redacted_thinking', data: 'xx' }, text('Fixed.')]),
    ]);
    expect(t.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'user', 'assistant']);
    expect(t.messages[1].content).toBe('<think>\nRead the file first.\n</think>\nReading it.');
    expect(t.messages[1].toolCalls).toEqual([
      { id: 't1', name: 'Read', arguments: { path: 'a.py' } },
      { id: 't2', name: 'Read', arguments: { path: 'b.py' } },
    ]);
    expect(t.messages[2]).toMatchObject({ role: 'tool', toolCallId: 't1', toolName: 'Read', content: 'print(1)' });
    expect(t.messages[3]).toMatchObject({ toolCallId: 't2', content: 'print(2)' });
    expect(t.messages[4]).toMatchObject({ role: 'user', content: 'and mind the tests' });
    expect(t.messages[5].content).toBe('Fixed.');
    expect(t.actionSteps).toEqual([1, 5]);
    expect(t.metadata).toMatchObject({ sessionId: SESSION, model: 'claude-sonnet-4', skippedLines: { 'redacted_thinking blocks': 1 } });
  });

  it('follows the parentUuid chain to the last message: a rewound branch is left out and counted', () => {
    const [t] = read([
      user('u1', null, 'Write a poem'),
      assistant('a1', 'u1', 'm1', [text('Roses are red')]),
      user('u2', 'a1', 'Make it longer'),
      assistant('a2', 'u2', 'm2', [text('Roses are red, violets are blue')]),
      // The user went back and asked something else after a1.
      user('u3', 'a1', 'Make it rhyme'),
      assistant('a3', 'u3', 'm3', [text('Roses are red, beds are made')]),
    ]);
    expect(t.messages.map((m) => m.content)).toEqual(['Write a poem', 'Roses are red', 'Make it rhyme', 'Roses are red, beds are made']);
    expect(t.actionSteps).toEqual([1, 3]);
    expect(t.metadata.skippedLines).toEqual({ 'off the main branch': 2 });
  });

  it('continues across a compaction (a chain that starts afresh, or through logicalParentUuid) and skips system, meta and snapshot lines', () => {
    const [t] = read([
      { type: 'file-history-snapshot', messageId: 'x', snapshot: {}, isSnapshotUpdate: false },
      user('u1', null, 'Step one'),
      assistant('a1', 'u1', 'm1', [text('Done one')]),
      line('system', 's1', null, undefined, { subtype: 'compact_boundary', logicalParentUuid: 'a1', content: 'Conversation compacted' }),
      user('u2', 's1', 'Summary of earlier work', { isMeta: true }),
      user('u3', 's1', 'Step two'),
      assistant('a2', 'u3', 'm2', [text('Done two')]),
      user('u4', null, 'Step three'),
      assistant('a3', 'u4', 'm3', [text('Done three')]),
      line('assistant', 'a4', 'a3', { id: 'x', role: 'assistant', model: '<synthetic>', content: [text('API Error: overloaded')] }),
    ]);
    expect(t.messages.map((m) => m.content)).toEqual(['Step one', 'Done one', 'Step two', 'Done two', 'Step three', 'Done three']);
    expect(t.metadata.skippedLines).toEqual({ 'file-history-snapshot': 1, system: 1, meta: 1, synthetic: 1 });
  });

  it('keeps sidechains (sub-agents) apart as their own trajectories, marked', () => {
    const side = (l: Json, agentId?: string) => ({ ...l, isSidechain: true, ...(agentId ? { agentId } : {}) });
    const ts = read([
      user('u1', null, 'Research and summarise'),
      assistant('a1', 'u1', 'm1', [toolUse('task1', 'Task', { prompt: 'Find the docs' })]),
      side(user('s1', null, 'Find the docs'), 'ag7'),
      side(assistant('s2', 's1', 'm9', [text('Found them')]), 'ag7'),
      side(user('x1', null, 'Count the files')),
      side(assistant('x2', 'x1', 'm8', [text('12 files')])),
      user('r1', 'a1', [toolResult('task1', 'Found them')]),
      assistant('a2', 'r1', 'm2', [text('Here is the summary')]),
    ]);
    expect(ts.map((t) => [t.id, t.messages.length, t.actionSteps, t.metadata.sidechain])).toEqual([
      [SESSION, 4, [1, 3], undefined],
      [`${SESSION}/agent-ag7`, 2, [1], true],
      [`${SESSION}/sidechain-2`, 2, [1], true],
    ]);
    expect(ts[1].metadata).toMatchObject({ parentSessionId: SESSION, agentId: 'ag7' });
    // Each trajectory names the line it starts at.
    expect(ts.map((t) => t.metadata.sourceLine)).toEqual([1, 3, 5]);
  });

  it('reads a session of one line, and one whose first line is broken, as a session', () => {
    const one = parseTrajectoryText('one.jsonl', JSON.stringify(user('u1', null, 'Hello')));
    expect(one.trajectories.map((t) => [t.format, t.messages.length])).toEqual([['claude-code', 1]]);
    const lines = [user('u1', null, 'Hi'), assistant('a1', 'u1', 'm1', [text('Hello')]), user('u2', 'a1', 'Bye'), assistant('a2', 'u2', 'm2', [text('Bye')])];
    const text0 = `{"type":"user",\n${jsonl(lines)}`;
    const broken = parseTrajectoryText('broken.jsonl', text0);
    expect(broken.errors.map((e) => e.message)).toEqual(['broken.jsonl:1:16: invalid JSON: unexpected end of input: expected a property name in double quotes']);
    expect(broken.trajectories.map((t) => [t.format, t.messages.length, t.actionSteps])).toEqual([['claude-code', 4, [1, 3]]]);
  });

  it('refuses a line with a wrong shape, naming the line and the path, and keeps the rest', () => {
    const result = parseTrajectoryText('s.jsonl', jsonl([user('u1', null, 'Hi'), assistant('a1', 'u1', 'm1', [toolUse('t1', 'Bash', { command: 'ls' }), { type: 'tool_use', id: 't2', name: 'Bash', input: 'ls' }]), user('u2', 'a1', 'Go on'), assistant('a2', 'u2', 'm2', [text('ok')], { isSidechain: 'no' })]));
    expect(result.errors.map((e) => e.message)).toEqual([
      "s.jsonl:2: Claude Code session: at message.content[1].input: expected the tool's input (an object), found the string \"ls\"",
      's.jsonl:4: Claude Code session: at isSidechain: expected true, false or nothing, found the string "no"',
    ]);
    expect(result.trajectories[0].messages.map((m) => m.content)).toEqual(['Hi', 'Go on']);
    expect(result.trajectories[0].actionSteps).toEqual([]);
  });
});
