/**
 * Session-shaped JSON Lines in the browser (issue 17): the shared Claude Code session and Codex CLI
 * rollout, and a mini-swe-agent run as save_traj writes it, picked with the file input, are listed
 * as one trajectory each with the steps counted from the raw files here, and each transcript shows
 * the messages, action steps and tool calls the raw lines hold. A rollout with an orphan output
 * loads its other lines and shows the corpus's pinned error.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { shownMessages } from './format-helpers';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const FIXTURES = resolve(REPO, '../shared/fixtures/trajectories');
const BAD = resolve(REPO, 'test/corpus/bad');
const CLAUDE = resolve(FIXTURES, 'claude_code/sample_session.jsonl');
const CODEX = resolve(FIXTURES, 'codex/sample_codex_session.jsonl');
const ORPHAN = 'codex-orphan-output.jsonl';

type Json = Record<string, unknown>;
const lines = (file: string): Json[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Json);
const blocks = (l: Json): Json[] => {
  const content = (l.message as Json).content;
  return Array.isArray(content) ? (content as Json[]) : [];
};

interface Counts {
  id: string;
  messages: number;
  steps: number;
  toolCalls: number;
}

/** Claude Code, counted by hand: a user line is one message per tool_result block plus one for its own words; an assistant line is one message. */
function claudeCounts(): Counts {
  const ls = lines(CLAUDE).filter((l) => l.type === 'user' || l.type === 'assistant');
  let messages = 0;
  for (const l of ls) {
    if (l.type === 'assistant') messages += 1;
    else {
      const results = blocks(l).filter((b) => b.type === 'tool_result').length;
      messages += results + (typeof (l.message as Json).content === 'string' || blocks(l).length > results ? 1 : 0);
    }
  }
  return {
    id: ls[0].sessionId as string,
    messages,
    steps: ls.filter((l) => l.type === 'assistant').length,
    toolCalls: ls.flatMap(blocks).filter((b) => b.type === 'tool_use').length,
  };
}

/** Codex, counted by hand: response_item messages (the sample has no calls). */
function codexCounts(): Counts {
  const ls = lines(CODEX);
  const items = ls.filter((l) => l.type === 'response_item').map((l) => l.payload as Json);
  return {
    id: (ls.find((l) => l.type === 'session_meta')!.payload as Json).id as string,
    messages: items.filter((p) => p.type === 'message').length,
    steps: items.filter((p) => p.type === 'message' && p.role === 'assistant').length,
    toolCalls: items.filter((p) => p.type === 'function_call').length,
  };
}

let session: BrowserSession;
let dir: string;
let mini: string;
let miniCounts: Counts;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-sessions-'));
  // mini-swe-agent's fixture is its bare message list; save_traj writes it inside {info, messages, trajectory_format}.
  const messages = JSON.parse(readFileSync(resolve(FIXTURES, 'mini_swe_agent/github_issue.traj.json'), 'utf8')) as { role: string }[];
  mini = join(dir, 'github_issue.traj.json');
  writeFileSync(mini, JSON.stringify({ info: { exit_status: 'LimitsExceeded', submission: '' }, messages, trajectory_format: 'mini-swe-agent-1' }, null, 2));
  miniCounts = { id: 'github_issue', messages: messages.length, steps: messages.filter((m) => m.role === 'assistant').length, toolCalls: 0 };
  session = await openBrowser();
});
afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('session-shaped JSON Lines in the browser', () => {
  it('lists the Claude Code session, the Codex rollout and the mini-swe-agent run with the counts of their raw files', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    await page.getByTestId('file-input').setInputFiles([CLAUDE, CODEX, mini, resolve(BAD, ORPHAN)]);
    await page.waitForFunction(() => {
      const items = Array.from(document.querySelectorAll('[data-testid="file-item"]'));
      return items.filter((i) => /sample_session|sample_codex|github_issue|codex-orphan/.test(i.textContent ?? '')).length === 4 && items.every((i) => i.getAttribute('data-status') !== 'parsing');
    }, undefined, { timeout: 30_000 });

    const cases: [string, string, Counts, boolean | undefined][] = [
      ['sample_session.jsonl', 'claude-code', claudeCounts(), undefined],
      ['sample_codex_session.jsonl', 'codex', codexCounts(), undefined],
      ['github_issue.traj.json', 'mini-swe-agent', miniCounts, false],
    ];
    for (const [file, format, counts, success] of cases) {
      await page.getByTestId('filter-file').selectOption({ label: file });
      const rows = page.locator(`[data-testid="trajectory-row"][data-format="${format}"]`);
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.getAttribute('data-id')).toBe(counts.id);
      await expect.poll(async () => (await rows.textContent()) ?? '').toContain(`${counts.steps} step${counts.steps === 1 ? '' : 's'}`);
      expect(await rows.getByTestId('row-outcome').count()).toBe(success === undefined ? 0 : 1);
      await rows.click();
      await expect.poll(async () => (await page.getByTestId('transcript').getAttribute('aria-label')) ?? '').toBe(`Transcript of ${counts.id}`);
      const shown = await shownMessages(page);
      expect(shown.map((m) => m.index)).toEqual(Array.from({ length: counts.messages }, (_, i) => i));
      expect(shown.filter((m) => m.action)).toHaveLength(counts.steps);
      expect(shown.reduce((sum, m) => sum + m.toolCalls, 0)).toBe(counts.toolCalls);
    }
    expect(claudeCounts()).toMatchObject({ messages: 7, steps: 3, toolCalls: 2 });
  });

  it('loads the other lines of a rollout with an orphan output and shows the pinned error', async () => {
    const { page } = session;
    const expected = (JSON.parse(readFileSync(resolve(BAD, 'expected.json'), 'utf8')) as Record<string, { trajectories: string[]; errors: { message: string }[] }>)[ORPHAN];
    await page.getByTestId('filter-file').selectOption({ label: ORPHAN });
    const rows = page.locator('[data-testid="trajectory-row"][data-format="codex"]');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.getAttribute('data-id')).toBe(expected.trajectories[0]);
    const errors = await page.getByTestId('file-error').allTextContents();
    expect(errors).toContain(expected.errors[0].message);
    expect(session.pageErrors).toEqual([]);
  });
});
