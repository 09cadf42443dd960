/**
 * The one list of trajectory format adapters. Order matters: the first adapter whose `detect`
 * accepts a value reads it, so formats with distinctive top-level keys come before the generic
 * chat formats they would otherwise be mistaken for (an OpenHands record is also a `{messages}` record).
 */
import type { FormatAdapter, Mismatch, SessionAdapter } from './adapter';
import { atifAdapter } from './formats/atif';
import { claudeCodeAdapter } from './formats/claude-code';
import { codexAdapter } from './formats/codex';
import { inspectAiAdapter } from './formats/inspect-ai';
import { miniSweAgentAdapter } from './formats/mini-swe-agent';
import { openAiChatAdapter } from './formats/openai-chat';
import { openHandsAdapter } from './formats/openhands';
import { otelAdapter } from './formats/otel';
import { otelLinesAdapter } from './formats/otel-lines';
import { describeValue } from './formats/shape';
import { shareGptAdapter } from './formats/sharegpt';
import { sweAgentAdapter } from './formats/swe-agent';
import { scoreJsonlAdapter } from './formats/score-jsonl';
import { tau2BenchAdapter } from './formats/tau2-bench';
import { tauBenchAdapter } from './formats/tau-bench';
import { whoAndWhenAdapter } from './formats/who-and-when';
import type { FormatId } from './types';

export const FORMAT_ADAPTERS: readonly FormatAdapter[] = [
  tau2BenchAdapter,
  sweAgentAdapter,
  miniSweAgentAdapter,
  whoAndWhenAdapter,
  inspectAiAdapter,
  atifAdapter,
  otelAdapter,
  tauBenchAdapter,
  openHandsAdapter,
  shareGptAdapter,
  openAiChatAdapter,
  scoreJsonlAdapter,
];

export function adapterById(id: FormatId): FormatAdapter | undefined {
  return FORMAT_ADAPTERS.find((a) => a.id === id);
}

/**
 * Formats whose trajectories span many JSON Lines (adapter.ts `SessionAdapter`): a JSON Lines file
 * whose first lines one of them claims is read by it as a whole; otherwise each line is a record.
 */
export const SESSION_ADAPTERS: readonly SessionAdapter[] = [claudeCodeAdapter, codexAdapter, otelLinesAdapter];

/** The session adapter that claims a JSON Lines file from its first parsed lines, or undefined. */
export function detectSession(head: readonly unknown[]): SessionAdapter | undefined {
  return head.length === 0 ? undefined : SESSION_ADAPTERS.find((a) => a.detectHead(head));
}

/** The adapter that reads this value, or undefined when none recognises it. */
export function detectFormat(value: unknown): FormatAdapter | undefined {
  return FORMAT_ADAPTERS.find((a) => a.detect(value));
}

/** A value that no adapter recognises, with the explanation of the closest miss. */
export class UnknownFormatError extends Error {
  constructor(
    readonly closest: { adapter: FormatAdapter; mismatch: Mismatch } | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'UnknownFormatError';
  }
}

/** Signature facts beyond "is an object / an array": below this, no format came meaningfully close. */
const MEANINGFUL_SCORE = 2;

/** Why no adapter accepts `value`: the closest miss when one got somewhere, else what each format expects. */
export function explainUnknownFormat(value: unknown): UnknownFormatError {
  let closest: { adapter: FormatAdapter; mismatch: Mismatch } | undefined;
  for (const adapter of FORMAT_ADAPTERS) {
    const miss = adapter.explain(value);
    if (miss && (!closest || miss.score > closest.mismatch.score)) closest = { adapter, mismatch: miss };
  }
  const tried = FORMAT_ADAPTERS.map((a) => a.name).join(', ');
  if (closest && closest.mismatch.score >= MEANINGFUL_SCORE) {
    const { adapter, mismatch } = closest;
    const where = mismatch.path === '' ? 'the top level' : mismatch.path;
    return new UnknownFormatError(
      closest,
      `not a known trajectory format; closest is ${adapter.name}: at ${where}: expected ${mismatch.expected}, found ${mismatch.found} (tried: ${tried})`,
    );
  }
  const expected = FORMAT_ADAPTERS.map((a) => `${a.name} ${a.signature}`).join('; ');
  return new UnknownFormatError(closest, `not a known trajectory format: found ${describeValue(value)}; expected one of: ${expected}`);
}
