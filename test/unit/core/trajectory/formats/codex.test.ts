/** Codex CLI rollouts: agent turns, calls paired with outputs by call_id, reasoning, skipped lines (formats/codex.ts). */
import { describe, expect, it } from 'vitest';
import { parseTrajectoryStream, parseTrajectoryText, type ParseResult } from '../../../../../src/core/trajectory/ingest';

type Json = Record<string, unknown>;
const rollout = (type: string, payload: Json) => ({ timestamp: '2025-10-01T09:00:00.000Z', type, payload });
const item = (payload: Json) => rollout('response_item', payload);
const message = (role: string, textType: string, text: string) => item({ type: 'message', role, content: [{ type: textType, text }] });
const jsonl = (lines: Json[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

const LINES = [
  rollout('session_meta', { id: 'r-1', timestamp: '2025-10-01T09:00:00.000Z', cwd: '/repo', originator: 'codex_cli_rs', cli_version: '0.46.0', instructions: 'Be brief.' }),
  message('developer', 'input_text', '<permissions instructions>'),
  rollout('turn_context', { cwd: '/repo', approval_policy: 'on-request', model: 'gpt-5-codex', summary: 'auto' }),
  message('user', 'input_text', 'Fix the test'),
  rollout('event_msg', { type: 'user_message', message: 'Fix the test' }),
  item({ type: 'reasoning', summary: [{ type: 'summary_text', text: '**Looking**' }, { type: 'summary_text', text: 'at the test' }], encrypted_content: 'gAAA' }),
  item({ type: 'function_call', name: 'shell', arguments: '{"command":["npm","test"]}', call_id: 'call_1' }),
  item({ type: 'function_call_output', call_id: 'call_1', output: '{"output":"1 failing","metadata":{"exit_code":1}}' }),
  item({ type: 'reasoning', summary: [], encrypted_content: 'gBBB' }),
  item({ type: 'custom_tool_call', status: 'completed', call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' }),
  item({ type: 'custom_tool_call_output', call_id: 'call_2', output: 'Done!' }),
  item({ type: 'local_shell_call', call_id: 'call_3', status: 'completed', action: { type: 'exec', command: ['npm', 'test'], timeout_ms: 1000 } }),
  item({ type: 'function_call_output', call_id: 'call_3', output: [{ type: 'input_text', text: 'all passing' }] }),
  item({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'done' }], content: [{ type: 'reasoning_text', text: 'All tests pass now.' }] }),
  message('assistant', 'output_text', 'Fixed: the test passes.'),
  rollout('event_msg', { type: 'agent_message', message: 'Fixed: the test passes.' }),
  item({ type: 'ghost_snapshot', ghost_commit: { id: 'abc' } }),
  rollout('compacted', { message: 'summary' }),
];

describe('Codex CLI rollouts', () => {
  it('reads agent turns with their reasoning and calls, each output paired with its call', () => {
    const { trajectories, errors } = parseTrajectoryText('rollout.jsonl', jsonl(LINES));
    expect(errors).toEqual([]);
    const [t] = trajectories;
    expect(t).toMatchObject({ id: 'r-1', format: 'codex' });
    expect(t.messages.map((m) => [m.role, m.sourceRole])).toEqual([
      ['system', 'developer'],
      ['user', 'user'],
      ['assistant', 'assistant'],
      ['tool', 'function_call_output'],
      ['assistant', 'assistant'],
      ['tool', 'custom_tool_call_output'],
      ['assistant', 'assistant'],
      ['tool', 'function_call_output'],
      ['assistant', 'assistant'],
    ]);
    expect(t.actionSteps).toEqual([2, 4, 6, 8]);
    expect(t.messages[2]).toMatchObject({ content: '<think>\n**Looking**\n\nat the test\n</think>', toolCalls: [{ id: 'call_1', name: 'shell', arguments: { command: ['npm', 'test'] }, rawArguments: '{"command":["npm","test"]}' }] });
    expect(t.messages[3]).toMatchObject({ toolCallId: 'call_1', toolName: 'shell', content: '{"output":"1 failing","metadata":{"exit_code":1}}' });
    expect(t.messages[4]).toMatchObject({ content: '', toolCalls: [{ id: 'call_2', name: 'apply_patch', arguments: {}, rawArguments: '*** Begin Patch\n*** End Patch' }] });
    expect(t.messages[5]).toMatchObject({ toolCallId: 'call_2', toolName: 'apply_patch', content: 'Done!' });
    expect(t.messages[6].toolCalls).toEqual([{ id: 'call_3', name: 'local_shell', arguments: { type: 'exec', command: ['npm', 'test'], timeout_ms: 1000 } }]);
    expect(t.messages[7]).toMatchObject({ toolName: 'local_shell', content: 'all passing' });
    // Reasoning content, where the rollout has it, is preferred to the summary.
    expect(t.messages[8].content).toBe('<think>\nAll tests pass now.\n</think>\nFixed: the test passes.');
    expect(t.metadata).toMatchObject({ sessionId: 'r-1', cwd: '/repo', cliVersion: '0.46.0', model: 'gpt-5-codex', instructions: 'Be brief.', sourceLine: 1 });
    expect(t.metadata.skippedLines).toEqual({ turn_context: 1, event_msg: 2, 'encrypted reasoning (not read)': 1, 'response_item ghost_snapshot': 1, compacted: 1 });
  });

  it('gives the same result read as a stream in chunks of any size, the trajectory once the file ends', async () => {
    const text = jsonl(LINES);
    const whole = parseTrajectoryText('rollout.jsonl', text);
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 7, 37, 500]) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
          controller.close();
        },
      });
      const parts: ParseResult[] = [];
      const rest = await parseTrajectoryStream('rollout.jsonl', stream, { onPartial: (part) => parts.push(part) });
      expect(rest).toEqual({ trajectories: [], errors: [] });
      expect(parts).toEqual([whole]);
    }
  });

  it('refuses an output without its call and a wrong type at their lines; the other lines load', () => {
    const lines = [
      LINES[0],
      LINES[3],
      item({ type: 'function_call_output', call_id: 'call_0', output: 'early' }),
      item({ type: 'message', role: 'critic', content: [] }),
      item({ type: 'reasoning', summary: 'thinking' }),
      LINES[6],
      LINES[7],
    ];
    const { trajectories, errors } = parseTrajectoryText('r.jsonl', jsonl(lines));
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [3, 'r.jsonl:3: Codex CLI rollout: at payload.call_id: expected the call_id of a call earlier in the rollout, found the string "call_0" (no call has it)'],
      [4, 'r.jsonl:4: Codex CLI rollout: at payload.role: expected a role string (one of system, developer, user, human, assistant, gpt, ai, tool, function, observation, ipython), found the string "critic"'],
      [5, 'r.jsonl:5: Codex CLI rollout: at payload.summary: expected an array of text parts {type, text}, found the string "thinking"'],
    ]);
    expect(trajectories[0].messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('a file of Codex lines that holds no message loads nothing and says so', () => {
    const result = parseTrajectoryText('meta.jsonl', jsonl([LINES[0], LINES[2]]));
    expect(result.errors.map((e) => e.message)).toEqual(['meta.jsonl: Codex CLI rollout: no trajectories in the file']);
  });
});

describe('Codex CLI rollouts in the older layout (before session_meta)', () => {
  it('reads the bare meta line and bare items; state lines are skipped; errors name paths in the line', () => {
    const lines = [
      { id: 'old-1', timestamp: '2025-06-01T10:00:00.000Z', instructions: 'Be brief.' },
      { record_type: 'state' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List files' }] },
      { type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}', call_id: 'c1' },
      { type: 'function_call_output', call_id: 'c1', output: { content: 'a.txt', success: true } },
      { type: 'function_call_output', call_id: 5, output: 'x' },
      { record_type: 'state' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'One file: a.txt' }] },
    ];
    const { trajectories, errors } = parseTrajectoryText('rollout-old.jsonl', jsonl(lines));
    expect(errors.map((e) => e.message)).toEqual(['rollout-old.jsonl:6: Codex CLI rollout: at call_id: expected the call id (a string), found the number 5']);
    const [t] = trajectories;
    expect(t).toMatchObject({ id: 'old-1', format: 'codex', metadata: { instructions: 'Be brief.', skippedLines: { 'record_type state': 2 } } });
    expect(t.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'List files'],
      ['assistant', ''],
      ['tool', 'a.txt'],
      ['assistant', 'One file: a.txt'],
    ]);
    expect(t.actionSteps).toEqual([1, 3]);
  });
});
