/** describeTrajectory on the real benchmark files: what each says about its task and its label. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrajectoryBytes } from '../../../../src/core/trajectory/ingest';
import { describeTrajectory, firstWords } from '../../../../src/core/trajectory/describe';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(here, '../../../../../shared/fixtures/trajectories');
const load = (name: string) => parseTrajectoryBytes(name, readFileSync(path.join(FIXTURES, name))).trajectories;
const factsOf = (d: ReturnType<typeof describeTrajectory>) => Object.fromEntries(d.facts.map((f) => [f.key, f.value]));

describe('describeTrajectory', () => {
  it("shows Who&When's question and mistake reason (Algorithm-Generated and Hand-Crafted)", () => {
    const raw = JSON.parse(readFileSync(path.join(FIXTURES, 'who_and_when/Hand-Crafted/1.json'), 'utf8'));
    const [t] = load('who_and_when/Hand-Crafted/1.json');
    const d = describeTrajectory(t);
    expect(factsOf(d).question).toBe(raw.question);
    expect(factsOf(d)['mistake-reason']).toBe('WebSurfer clicks on an irrelevant website and disrupts the task-solving process.');
    expect(factsOf(d)['ground-truth']).toBe('Renzo Gracie Jiu-Jitsu Wall Street');
    expect(d.task).toBe(firstWords(raw.question));
    const [a] = load('who_and_when/Algorithm-Generated/1.json');
    expect(factsOf(describeTrajectory(a))['mistake-reason']).toMatch(/^The code failed to handle edge cases in the 'Street Address' data/);
  });

  it("shows τ²-bench's task and reward breakdown: per-basis rewards, DB match, action checks", () => {
    const file = JSON.parse(readFileSync(path.join(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json'), 'utf8'));
    const trajectories = load('tau2_bench/airline_grok-3_4tasks_x4trials.json');
    const sim = file.simulations[0];
    const t = trajectories.find((x) => x.id === sim.id)!;
    const d = describeTrajectory(t);
    const facts = factsOf(d);
    const task = file.tasks.find((x: { id: string }) => x.id === sim.task_id);
    expect(d.task).toBe(firstWords(task.description.purpose));
    expect(facts["task-purpose"]).toBe(task.description.purpose);
    expect(facts['reward-breakdown']).toBe('DB 0 · COMMUNICATE 1');
    expect(facts['db-match']).toBe('no');
    expect(facts['action-checks']).toBe('0 of 1 done: book_reservation ✗');
    expect(facts.termination).toBe(sim.termination_reason);
    expect(d.firstUserWords).toBe(firstWords(sim.messages.find((m: { role: string }) => m.role === 'user').content));
  });

  it("shows SWE-agent's exit status and the submitted patch's size", () => {
    const [t] = load('swe_agent/marshmallow-code__marshmallow-1867.function_calling.traj');
    const facts = factsOf(describeTrajectory(t));
    expect(facts['exit-status']).toBe('submitted');
    expect(facts.submission).toMatch(/^a patch of \d+ lines$/);
  });

  it('cuts the first words at a word boundary', () => {
    expect(firstWords('  Hello\n\n  world  ')).toBe('Hello world');
    expect(firstWords('one two three four five', 12)).toBe('one two…');
  });
});
