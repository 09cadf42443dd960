/**
 * ATIF and OpenTelemetry in the browser (issue 17, item 3): the hand-written fixtures of
 * test/fixtures/formats picked with the file input are listed with the ids and steps counted from
 * the raw files here, and each transcript shows the messages, action steps and tool calls the raw
 * file holds. Broken files load what they can and show the corpus's pinned errors.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { shownMessages } from './format-helpers';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const FIXTURES = resolve(REPO, 'test/fixtures/formats');
const BAD = resolve(REPO, 'test/corpus/bad');
const BAD_FILES = ['atif-step-wrong-source.jsonl', 'otel-batches-bad-lines.jsonl'];

type Json = Record<string, unknown>;
const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;

interface Counts {
  id: string;
  messages: number;
  steps: number;
  toolCalls: number;
  /** The model the raw file names, where it names one. */
  model?: string;
}

/** ATIF, counted by hand: one message per step and per observation result; the agent's steps are the action steps. */
function atifCounts(name: string): Counts {
  const raw = readJson(resolve(FIXTURES, name));
  const steps = raw.steps as { source: string; tool_calls?: unknown[]; observation?: { results: unknown[] } }[];
  return {
    id: raw.session_id as string,
    messages: steps.reduce((n, s) => n + 1 + (s.observation?.results.length ?? 0), 0),
    steps: steps.filter((s) => s.source === 'agent').length,
    toolCalls: steps.reduce((n, s) => n + (s.tool_calls?.length ?? 0), 0),
    model: (raw.agent as { model_name?: string }).model_name,
  };
}

interface RawSpan {
  traceId: string;
  startTimeUnixNano: string;
  attributes: { key: string; value: { stringValue?: string } }[];
  events?: { name: string }[];
}
const spansOf = (name: string): RawSpan[] =>
  (readJson(resolve(FIXTURES, name)).resourceSpans as { scopeSpans: { spans: RawSpan[] }[] }[]).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
const attr = (span: RawSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;
const lastBy = (spans: RawSpan[], keep: (s: RawSpan) => boolean) => spans.filter(keep).sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1)).pop()!;

/**
 * GenAI, counted by hand per trace: the last model call is sent the whole conversation (its system
 * instructions, input, first output), plus tool spans whose call id no message names; a trace whose
 * content is in events has one message per message event and one for the choice.
 */
function genAiCounts(name: string): Counts[] {
  const spans = spansOf(name);
  const traces = [...new Set(spans.filter((s) => s.attributes.some((a) => a.key.startsWith('gen_ai.'))).map((s) => s.traceId))];
  return traces.map((id) => {
    const trace = spans.filter((s) => s.traceId === id);
    const last = lastBy(trace, (s) => attr(s, 'gen_ai.operation.name') === 'chat');
    const model = attr(last, 'gen_ai.response.model') ?? attr(last, 'gen_ai.request.model');
    if (!attr(last, 'gen_ai.input.messages')) {
      const events = last.events!.filter((e) => e.name.startsWith('gen_ai.'));
      return { id, messages: events.length, steps: events.filter((e) => e.name === 'gen_ai.choice').length, toolCalls: 0, model };
    }
    type Message = { role: string; parts: { type: string; id?: string }[] };
    const conversation = [...(JSON.parse(attr(last, 'gen_ai.input.messages')!) as Message[]), (JSON.parse(attr(last, 'gen_ai.output.messages')!) as Message[])[0]];
    const ids = new Set(conversation.flatMap((m) => m.parts.map((p) => p.id)));
    const stray = trace.filter((s) => attr(s, 'gen_ai.operation.name') === 'execute_tool' && !ids.has(attr(s, 'gen_ai.tool.call.id')));
    return {
      id,
      messages: (attr(last, 'gen_ai.system_instructions') ? 1 : 0) + conversation.length + stray.length,
      steps: conversation.filter((m) => m.role === 'assistant').length,
      toolCalls: conversation.flatMap((m) => m.parts).filter((p) => p.type === 'tool_call').length + stray.length,
      model,
    };
  });
}

/** OpenInference, counted by hand: the last LLM span's flattened input messages and first output message. */
function openInferenceCounts(name: string): Counts {
  const spans = spansOf(name);
  const last = lastBy(spans, (s) => attr(s, 'openinference.span.kind') === 'LLM');
  const roles = (list: string) => last.attributes.filter((a) => new RegExp(`^llm\\.${list}\\.\\d+\\.message\\.role$`).test(a.key)).map((a) => a.value.stringValue);
  const all = [...roles('input_messages'), roles('output_messages')[0]];
  const calls = new Set(last.attributes.flatMap((a) => /^llm\.\w+_messages\.\d+\.message\.tool_calls\.\d+\./.exec(a.key)?.[0] ?? []));
  return { id: last.traceId, messages: all.length, steps: all.filter((r) => r === 'assistant').length, toolCalls: calls.size, model: attr(last, 'llm.model_name') };
}

const FILES: [string, string, Counts[]][] = [
  ['atif-v1.4-terminal-task.json', 'atif', [atifCounts('atif-v1.4-terminal-task.json')]],
  ['atif-v1.6-content-parts.json', 'atif', [atifCounts('atif-v1.6-content-parts.json')]],
  ['otel-genai-semconv-1.37.json', 'otel', genAiCounts('otel-genai-semconv-1.37.json')],
  // The same two traces as the Collector's file exporter writes them, a trace spread over both lines.
  ['otel-genai-batches.jsonl', 'otel', genAiCounts('otel-genai-semconv-1.37.json')],
  ['otel-openinference.json', 'otel', [openInferenceCounts('otel-openinference.json')]],
];

let session: BrowserSession;
beforeAll(async () => {
  session = await openBrowser();
});
afterAll(async () => {
  await session?.close();
});

describe('ATIF and OpenTelemetry in the browser', () => {
  it('lists every fixture with the ids and steps of its raw file; transcripts show its messages, action steps and tool calls', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const names = [...FILES.map(([name]) => name), ...BAD_FILES];
    await page.getByTestId('file-input').setInputFiles([...FILES.map(([name]) => resolve(FIXTURES, name)), ...BAD_FILES.map((name) => resolve(BAD, name))]);
    await page.waitForFunction(
      (wanted) => {
        const items = Array.from(document.querySelectorAll('[data-testid="file-item"]'));
        return wanted.every((name) => items.some((i) => (i.textContent ?? '').includes(name))) && items.every((i) => i.getAttribute('data-status') !== 'parsing');
      },
      names,
      { timeout: 30_000 },
    );
    expect(genAiCounts('otel-genai-semconv-1.37.json').map((c) => c.messages)).toEqual([7, 3]);

    for (const [file, format, traces] of FILES) {
      await page.getByTestId('filter-file').selectOption({ label: file });
      const rows = page.locator(`[data-testid="trajectory-row"][data-format="${format}"]`);
      await expect.poll(() => rows.count()).toBe(traces.length);
      for (const counts of traces) {
        const row = page.locator(`[data-testid="trajectory-row"][data-id="${counts.id}"]`);
        await expect.poll(async () => (await row.textContent()) ?? '').toContain(`${counts.steps} step${counts.steps === 1 ? '' : 's'}`);
        await row.click();
        await expect.poll(async () => (await page.getByTestId('transcript').getAttribute('aria-label')) ?? '').toBe(`Transcript of ${counts.id}`);
        const shown = await shownMessages(page);
        expect(shown.map((m) => m.index), `${file} ${counts.id}`).toEqual(Array.from({ length: counts.messages }, (_, i) => i));
        expect(shown.filter((m) => m.action)).toHaveLength(counts.steps);
        expect(shown.reduce((sum, m) => sum + m.toolCalls, 0)).toBe(counts.toolCalls);
        // The header names the model the file records (ATIF's agent.model_name; the trace's model call spans).
        if (counts.model !== undefined) await expect.poll(async () => page.locator('[data-testid="trajectory-fact"][data-fact="model"]').textContent()).toBe(counts.model);
      }
    }
  });

  it('broken files load what they can and show the pinned errors', async () => {
    const { page } = session;
    const expected = readJson(resolve(BAD, 'expected.json')) as Record<string, { trajectories: string[]; errors: { message: string }[] }>;
    for (const name of BAD_FILES) {
      await page.getByTestId('filter-file').selectOption({ label: name });
      const rows = page.locator('[data-testid="trajectory-row"]');
      await expect.poll(async () => rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-id')))).toEqual(expected[name].trajectories);
    }
    const errors = await page.getByTestId('file-error').allTextContents();
    for (const name of BAD_FILES) for (const error of expected[name].errors) expect(errors).toContain(error.message);
    expect(session.pageErrors).toEqual([]);
  });
});
