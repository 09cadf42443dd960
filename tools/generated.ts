/**
 * Synthetic files shared by the browser tests and the benchmark (bench/), so that a test
 * and the figure it guards measure the same thing: an agent-like JSON Lines file of any size, and
 * one long scored trajectory.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ScoreRecord } from '../src/core/scores/format';

const FILLER = 'lorem ipsum dolor sit amet '.repeat(60);

/** Record `n` of the large file: system, user request, a tool call, its result, a closing answer (action steps 2 and 4). */
export function agentRecord(n: number, idPrefix = 'run'): object {
  return {
    id: `${idPrefix}-${n}`,
    task_id: `task-${n % 97}`,
    reward: n % 3 === 0 ? 1 : 0,
    messages: [
      { role: 'system', content: 'You are a helpful agent.' },
      { role: 'user', content: `Request ${n}: ${FILLER}` },
      { role: 'assistant', content: null, tool_calls: [{ id: `c${n}`, type: 'function', function: { name: 'lookup', arguments: `{"n": ${n}}` } }] },
      { role: 'tool', tool_call_id: `c${n}`, content: FILLER },
      { role: 'assistant', content: `Done with ${n}.` },
    ],
  };
}

/** Writes agent records to `path` until it holds at least `bytes` bytes; returns how many. */
export async function writeAgentRecordsFile(path: string, bytes: number, idPrefix = 'run'): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let records = 0;
  while (written < bytes) {
    const line = `${JSON.stringify(agentRecord(records, idPrefix))}\n`;
    if (!out.write(line)) await once(out, 'drain');
    written += Buffer.byteLength(line);
    records++;
  }
  out.end();
  await once(out, 'finish');
  return records;
}

const WORDS = ['the', ' agent', ' checks', ' seat', ' 12', ',', ' then', ' calls', ' get_flight', '\n'];

/** One scored trajectory of 50 steps (messages 1, 3, …) of ⌈tokens / 50⌉ tokens each, with newlines now and then. */
export function longScoreRecord(tokens: number, fields: { id: string; taskId?: string; entropy?: boolean }): ScoreRecord {
  const perStep = Math.ceil(tokens / 50);
  const steps = Array.from({ length: 50 }, (_, step) => {
    const stepTokens = Array.from({ length: perStep }, (_, index) => WORDS[(index * 7 + step) % WORDS.length]);
    return {
      message: 2 * step + 1,
      policy: stepTokens.map((_, index) => -((index * 13 + step) % 17) / 4),
      reference: stepTokens.map((_, index) => -((index * 5 + step) % 11) / 3),
      ...(fields.entropy ? { entropy: stepTokens.map((_, index) => (index % 23) / 7) } : {}),
      tokens: stepTokens,
    };
  });
  return { id: fields.id, ...(fields.taskId ? { taskId: fields.taskId } : {}), reward: 0, steps };
}

/** Trajectory `n` of a file of many small ones (about 110 bytes of JSON): a user request and the answer. */
export function smallTrajectory(n: number): object {
  return { id: `t${n}`, reward: n % 2, messages: [{ role: 'user', content: `q ${n}` }, { role: 'assistant', content: `a ${n % 1000}` }] };
}

/** Writes one JSON array of `count` small trajectories to `path` (150,000 make 17 MB). */
export async function writeSmallTrajectoriesArray(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  for (let n = 0; n < count; n++) {
    const item = `${n === 0 ? '[' : ','}${JSON.stringify(smallTrajectory(n))}${n === count - 1 ? ']\n' : ''}`;
    if (!out.write(item)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
