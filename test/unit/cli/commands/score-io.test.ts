/** `score` reads trajectory files: a dropped label is said as a notice and does not fail the run (issue 14, item 11). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Reporter, readTrajectories } from '../../../../src/cli/commands/score-io';

describe('score: reading trajectory files', () => {
  it('says each dropped label with its place, scores the trajectory, and fails only for errors', async () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const file = 'test/corpus/bad/labels-unreadable.jsonl';
    const { entries, failed } = await readTrajectories([file], new Reporter(true, stream));
    expect(failed).toBe(false);
    expect(entries.map((e) => e.trajectory.id)).toEqual(['string-reward', 'huge-reward', 'negative-step', 'fractional-step', 'readable']);
    const expected = JSON.parse(readFileSync('test/corpus/bad/expected.json', 'utf8')) as Record<string, { errors: { message: string }[] }>;
    expect(written.join('')).toBe(expected['labels-unreadable.jsonl'].errors.map((e) => `score: notice: ${e.message.replace(/^labels-unreadable\.jsonl/, file)}\n`).join(''));

    written.length = 0;
    const broken = await readTrajectories(['test/corpus/bad/empty-messages.jsonl'], new Reporter(true, stream));
    expect(broken.failed).toBe(true);
    expect(written.join('')).toMatch(/^score: error: test\/corpus\/bad\/empty-messages\.jsonl:1: OpenAI chat messages: at messages: expected an array of chat messages with at least one message, found an empty array\n$/);
  });

  it('says once, for every engine, that nothing is left to score', async () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const { entries, failed } = await readTrajectories(['test/corpus/bad/empty.json'], new Reporter(true, stream));
    expect(entries).toEqual([]);
    expect(failed).toBe(true);
    expect(written.join('')).toBe('score: error: test/corpus/bad/empty.json: empty file\nscore: error: no trajectory to score\n');
  });
});
