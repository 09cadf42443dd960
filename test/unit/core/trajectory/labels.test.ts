/**
 * Labels that cannot be read are dropped with a notice naming the file, the place and why, never
 * silently (issue 14, item 11); the one validation (src/core/trajectory/validate.ts) runs at load,
 * so whatever loads can be put in a bundle (item 10); a record without messages is refused (item 12).
 */
import { describe, expect, it } from 'vitest';
import { parseTrajectoryText, type FileError } from '../../../../src/core/trajectory/ingest';
import { checkLoadedTrajectory, trajectoryProblems } from '../../../../src/core/trajectory/validate';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import { bundleEntrySchema } from '../../../../src/core/bundle';
import { readFileSync } from 'node:fs';

const messages = [
  { role: 'user', content: 'hi' },
  { role: 'assistant', content: 'a' },
];
/** A JSON Lines file of chat records, one per object (written as raw text: 1e400 must reach JSON.parse as written). */
const jsonl = (...records: string[]) => records.join('\n');
const record = (labels: string) => `{"id":"r","messages":${JSON.stringify(messages)}${labels === '' ? '' : `,${labels}`}}`;

function notice(file: string, line: number, record: number, text: string, format = 'OpenAI chat messages'): FileError {
  return { file, message: `${file}:${line}: ${format}: ${text}; the trajectory is loaded without this label`, line, record, severity: 'notice' };
}

describe('a label that cannot be read', () => {
  it.each([
    ['"reward": "1"', 'at reward: expected a reward (a finite number) or null, found the string "1"'],
    ['"reward": 1e400', 'at reward: expected a reward (a finite number) or null, found the number Infinity'],
    ['"mistake_step": -1', 'at mistake_step: expected a message index (an integer from 0 to 1), found the number -1'],
    ['"mistake_step": 1.5', 'at mistake_step: expected a message index (an integer from 0 to 1), found the number 1.5'],
    ['"mistake_step": 1e308', 'at mistake_step: expected a message index (an integer from 0 to 1), found the number 1e+308'],
    ['"mistakeStep": 2', 'at mistakeStep: expected a message index (an integer from 0 to 1), found the number 2'],
    ['"success": "yes"', 'at success: expected true, false, 0, 1 or null, found the string "yes"'],
    // A record with `resolved` reads as an OpenHands / SWE-Gym run.
    ['"resolved": 2', 'at resolved: expected true, false, 0, 1 or null, found the number 2', 'OpenHands / SWE-Gym trajectories'],
    ['"mistake_agent": 7', 'at mistake_agent: expected an agent name (a string) or null, found the number 7'],
  ])('%s is dropped with a notice; the trajectory loads', (labels, text, format?: string) => {
    const result = parseTrajectoryText('labels.jsonl', jsonl(record('"reward": 0'), record(labels)));
    expect(result.trajectories.map((t) => t.id)).toEqual(['r', 'r~2']);
    expect(result.trajectories[1].labels).toEqual({});
    expect(result.errors).toEqual([notice('labels.jsonl', 2, 1, text, format)]);
  });

  it('keeps the labels that can be read beside one that cannot', () => {
    const result = parseTrajectoryText('one.jsonl', jsonl(record('"reward": "1", "mistake_step": 1, "mistake_agent": "Coder"'), record('')));
    expect(result.trajectories[0].labels).toEqual({ mistakeStep: 1, mistakeAgent: 'Coder' });
    expect(result.errors.map((e) => e.severity)).toEqual(['notice']);
  });

  it('names the record of a multi-record JSON value, and says nothing of a record refused for another reason', () => {
    const file = JSON.stringify([
      { task_id: 1, trial: 0, reward: '1', info: {}, traj: messages },
      { task_id: 2, trial: 0, reward: '1', info: {}, traj: 'oops' },
      { task_id: 3, trial: 0, reward: 1, info: {}, traj: messages },
    ]);
    const result = parseTrajectoryText('tau.json', file);
    expect(result.trajectories.map((t) => [t.id, t.labels])).toEqual([
      ['1#0', {}],
      ['3#0', { reward: 1, success: true }],
    ]);
    expect(result.errors).toEqual([
      { file: 'tau.json', message: 'tau.json: τ-bench results: at [1].traj: expected the message list `traj` (an array), found the string "oops"', record: 1 },
      {
        file: 'tau.json',
        message: 'tau.json: τ-bench results: at [0].reward: expected a reward (a finite number) or null, found the string "1"; the trajectory is loaded without this label',
        record: 0,
        severity: 'notice',
      },
    ]);
  });

  it('a τ²-bench reward and an Inspect AI score value that are not finite', () => {
    const tau2 = parseTrajectoryText('t2.json', '{"simulations":[{"id":"s","task_id":"1","messages":[{"role":"user","content":"x"}],"reward_info":{"reward":-1e999}}]}');
    expect(tau2.trajectories[0].labels).toEqual({});
    expect(tau2.errors.map((e) => e.message)).toEqual([
      't2.json: τ²-bench simulations: at simulations[0].reward_info.reward: expected a reward (a finite number) or null, found the number -Infinity; the trajectory is loaded without this label',
    ]);
  });
});

describe('a record without messages', () => {
  it('is refused with the file, the line and the path; the other records load', () => {
    const result = parseTrajectoryText('empty-messages.jsonl', jsonl(record(''), '{"id":"e","messages":[]}'));
    expect(result.trajectories.map((t) => t.id)).toEqual(['r']);
    expect(result.errors).toEqual([
      {
        file: 'empty-messages.jsonl',
        message: 'empty-messages.jsonl:2: OpenAI chat messages: at messages: expected an array of chat messages with at least one message, found an empty array',
        line: 2,
        record: 1,
      },
    ]);
  });
});

describe('the one validation (validate.ts)', () => {
  const trajectory = (over: Partial<Trajectory>): Trajectory => ({
    id: 't',
    format: 'score-jsonl',
    messages: [{ role: 'assistant', sourceRole: 'assistant', content: 'a' }],
    actionSteps: [0],
    labels: {},
    metadata: {},
    ...over,
  });

  it('finds structural problems and labels that do not fit', () => {
    expect(trajectoryProblems(trajectory({}))).toEqual([]);
    expect(trajectoryProblems(trajectory({ messages: [], actionSteps: [] }))).toEqual([{ path: ['messages'], message: 'the trajectory has no messages: expected at least one' }]);
    expect(trajectoryProblems(trajectory({ actionSteps: [0, 0] }))).toEqual([{ path: ['actionSteps', 1], message: '0 does not come after 0; action steps must ascend' }]);
    expect(trajectoryProblems(trajectory({ labels: { mistakeStep: 1e308, reward: Number.NaN } }))).toEqual([
      { path: ['labels', 'mistakeStep'], label: 'mistakeStep', message: '1e+308 is not a message index (a whole number ≥ 0)' },
      { path: ['labels', 'reward'], label: 'reward', message: 'the reward NaN is not a finite number' },
    ]);
    expect(trajectoryProblems(trajectory({ labels: { mistakeStep: 1 } }))).toEqual([
      { path: ['labels', 'mistakeStep'], label: 'mistakeStep', message: 'message 1 does not exist (the trajectory has 1 messages)' },
    ]);
  });

  it('at load, drops the labels that do not fit (a dropped reward takes its success along) and refuses a broken trajectory', () => {
    const t = trajectory({ labels: { mistakeStep: 3, reward: Infinity, success: true, mistakeAgent: 'A' } });
    const checked = checkLoadedTrajectory(t);
    expect(checked.refusal).toBeNull();
    expect(checked.dropped.map((p) => p.label)).toEqual(['mistakeStep', 'reward']);
    expect(t.labels).toEqual({ mistakeAgent: 'A' });
    expect(checkLoadedTrajectory(trajectory({ actionSteps: [4] })).refusal?.message).toBe('message 4 does not exist (the trajectory has 1 messages)');
  });

  it('a score file whose mistake step lies past its last scored step loads without that label', () => {
    const line = JSON.stringify({ id: 's', mistakeStep: 9_000_000_000_000, steps: [{ message: 1, policy: [-1], reference: [-2] }] });
    const started = performance.now();
    const result = parseTrajectoryText('scores.jsonl', line);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.trajectories[0].labels).toEqual({});
    expect(result.trajectories[0].messages).toHaveLength(2);
    expect(result.errors.map((e) => [e.message, e.severity])).toEqual([
      [
        'scores.jsonl: progress-advantage scores: at mistakeStep: expected a message index (an integer from 0 to 1001), found the number 9000000000000; the trajectory is loaded without this label',
        'notice',
      ],
    ]);
  });

  it('whatever loads fits in a bundle entry (issue 14, item 10: accepted on load, refused on export)', () => {
    for (const name of ['labels-unreadable.jsonl', 'mistake-step-past-end.json', 'empty-messages.jsonl', 'who-and-when-step-out-of-range.json']) {
      const { trajectories } = parseTrajectoryText(name, readFileSync(`test/corpus/bad/${name}`, 'utf8'));
      expect(trajectories.length, name).toBeGreaterThan(0);
      for (const trajectory of trajectories) {
        const entry = bundleEntrySchema.safeParse({ fileName: name, trajectory: JSON.parse(JSON.stringify(trajectory)), score: null });
        expect(entry.error?.issues ?? [], `${name} ${trajectory.id}`).toEqual([]);
      }
    }
  });
});
