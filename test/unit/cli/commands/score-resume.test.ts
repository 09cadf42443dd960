/**
 * `score --resume` (src/cli/commands/score-resume.ts) on files written by hand: equal content gives
 * an equal hash wherever it comes from, and any change to the content changes it; an earlier
 * output's complete lines count as done and a last line cut short is cut off the file; a line
 * scored with other settings, a line that is not JSON and one without `contentHash` stop the run
 * with the file, the line and what to do; a missing file starts from the first trajectory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResumeError, contentHashOf, openLineFile, readResumeState } from '../../../../src/cli/commands/score-resume';
import type { Trajectory } from '../../../../src/core/trajectory/types';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-resume-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const trajectory = (content: string): Trajectory => ({ id: 't', format: 'messages', messages: [{ role: 'assistant', content }], labels: {}, metadata: {} }) as unknown as Trajectory;
const settings = { 'server.engine': 'vllm', policyModel: 'p', referenceModel: 'r', render: 'chat' };
const line = (hash: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id: hash, contentHash: hash, server: { engine: 'vllm' }, policyModel: 'p', referenceModel: 'r', render: 'chat', ...extra });

describe('contentHashOf', () => {
  it('is a sha-256 of the content: equal content, equal hash; any change, another', () => {
    const hash = contentHashOf(trajectory('lookup order'));
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(contentHashOf(trajectory('lookup order'))).toBe(hash);
    expect(contentHashOf(trajectory('lookup order.'))).not.toBe(hash);
  });
});

describe('readResumeState', () => {
  it('counts the complete lines as done and cuts a last line the interruption cut short', async () => {
    const path = join(work, 'cut.jsonl');
    const complete = `${line('sha256:a')}\n${line('sha256:b')}\n`;
    await writeFile(path, `${complete}${line('sha256:c').slice(0, 30)}`);
    const state = await readResumeState(path, settings);
    expect([...state.done]).toEqual(['sha256:a', 'sha256:b']);
    expect(state.notes[0]).toMatch(/dropped an incomplete last line of .*cut\.jsonl \(30 bytes/);
    expect(state.notes[1]).toMatch(/holds 2 scored trajectories/);
    expect(await readFile(path, 'utf8')).toBe(complete);
    // Appending continues after the last complete line.
    const sink = await openLineFile(path, true);
    await sink.write(line('sha256:c'));
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe(`${complete}${line('sha256:c')}\n`);
  });

  it('stops at a line scored with another setting, naming the file, the line, both values and what to do', async () => {
    const path = join(work, 'settings.jsonl');
    await writeFile(path, `${line('sha256:a')}\n${line('sha256:b', { render: 'plain' })}\n`);
    const error = await readResumeState(path, settings).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResumeError);
    expect((error as Error).message).toBe(`--resume: ${path} line 2 was scored with render "plain", this run has "chat"; resume with the same settings, or write to another --out`);
    await writeFile(path, `${line('sha256:a', { server: { engine: 'sglang' } })}\n`);
    await expect(readResumeState(path, settings)).rejects.toThrow(`${path} line 1 was scored with server.engine "sglang", this run has "vllm"`);
  });

  it('stops at a line that is not JSON or has no contentHash', async () => {
    const path = join(work, 'foreign.jsonl');
    await writeFile(path, `${line('sha256:a')}\nnot json\n`);
    await expect(readResumeState(path, settings)).rejects.toThrow(`--resume: ${path} line 2 is not JSON; it is not an output of score, or was edited`);
    await writeFile(path, `${JSON.stringify({ id: 'x', render: 'chat' })}\n`);
    await expect(readResumeState(path, settings)).rejects.toThrow(`--resume: ${path} line 1 has no contentHash: it was not written by a score run that can be resumed`);
  });

  it('starts from the first trajectory when the output does not exist yet', async () => {
    const state = await readResumeState(join(work, 'missing.jsonl'), settings);
    expect(state.done.size).toBe(0);
    expect(state.notes).toEqual([`--resume: ${join(work, 'missing.jsonl')} does not exist yet; starting from the first trajectory`]);
  });
});
