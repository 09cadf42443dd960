/** mini-swe-agent runs: versions, the exit message, ids and labels (formats/mini-swe-agent.ts). */
import { describe, expect, it } from 'vitest';
import { parseTrajectoryText } from '../../../../../src/core/trajectory/ingest';

const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Fix the bug in a.py' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'bash', arguments: '{"command":"cat a.py"}' } }] },
  { role: 'tool', tool_call_id: 'call_1', content: '<returncode>0</returncode>', extra: { returncode: 0 } },
  { role: 'assistant', content: 'Done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```' },
  { role: 'exit', content: '', extra: { exit_status: 'Submitted', submission: 'diff --git a/a.py b/a.py' } },
];

function run(top: Record<string, unknown>) {
  return parseTrajectoryText('run.traj.json', JSON.stringify({ messages, trajectory_format: 'mini-swe-agent-1.1', ...top }));
}

describe('mini-swe-agent runs', () => {
  it('reads a 1.x run with tool calls; the exit message is skipped; instance_id is the id and task; info.resolved is the label', () => {
    const { trajectories, errors } = run({ instance_id: 'astropy__astropy-12907', info: { exit_status: 'Submitted', submission: 'diff --git a/a.py b/a.py', resolved: true } });
    expect(errors).toEqual([]);
    const [t] = trajectories;
    expect(t).toMatchObject({ format: 'mini-swe-agent', id: 'astropy__astropy-12907', taskId: 'astropy__astropy-12907', labels: { success: true } });
    expect(t.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    expect(t.messages[2].toolCalls).toEqual([{ id: 'call_1', name: 'bash', arguments: { command: 'cat a.py' }, rawArguments: '{"command":"cat a.py"}' }]);
    expect(t.messages[3].toolCallId).toBe('call_1');
    expect(t.actionSteps).toEqual([2, 4]);
    expect(t.metadata).toMatchObject({ exitStatus: 'Submitted', exitMessages: 1, trajectoryFormat: 'mini-swe-agent-1.1' });
  });

  it('a run that stopped without submitting is a failure; a submitted one has no label; an unreadable resolved is dropped with a notice', () => {
    expect(run({ info: { exit_status: 'LimitsExceeded', submission: '' } }).trajectories[0].labels).toEqual({ success: false });
    expect(run({ info: { exit_status: 'Submitted' } }).trajectories[0].labels).toEqual({});
    expect(run({ info: { exit_status: null } }).trajectories[0].labels).toEqual({});
    const dropped = run({ info: { exit_status: 'Submitted', resolved: 'yes' } });
    expect(dropped.trajectories[0].labels).toEqual({});
    expect(dropped.errors.map((e) => [e.severity, e.message])).toEqual([
      ['notice', 'run.traj.json: mini-swe-agent trajectory: at info.resolved: expected true, false, 0, 1 or null, found the string "yes"; the trajectory is loaded without this label'],
    ]);
  });

  it('names a format version it does not read as the closest miss', () => {
    const result = parseTrajectoryText('new.traj.json', JSON.stringify({ messages: 'later', trajectory_format: 'mini-swe-agent-2' }));
    expect(result.errors[0].message).toMatch(/^new\.traj\.json: not a known trajectory format; closest is mini-swe-agent trajectory: at trajectory_format: expected "mini-swe-agent-1" or "mini-swe-agent-1\.x", found the string "mini-swe-agent-2" \(tried: /);
  });
});
