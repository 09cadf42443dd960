/**
 * Two scorings' step scores on one chart and their decisive steps side by side. Steps are paired
 * by message index (the same action step of the same trajectory); a step one scoring did not score
 * (or left unscored) is null on that side, never 0.
 */
import type { ScoreStep } from '../scores/format';

/** A scoring's step series: the message of each action step and its score (null: unscored). */
export interface StepSeries {
  messages: readonly number[];
  scores: readonly (number | null)[];
}

export interface PairedStep {
  message: number;
  a: number | null;
  b: number | null;
  /** a − b when both scored the step, else null. */
  difference: number | null;
}

/** The union of both series' steps, in message order. */
export function pairStepSeries(a: StepSeries, b: StepSeries): PairedStep[] {
  const byMessage = new Map<number, PairedStep>();
  const at = (message: number) => {
    let step = byMessage.get(message);
    if (!step) byMessage.set(message, (step = { message, a: null, b: null, difference: null }));
    return step;
  };
  a.messages.forEach((m, i) => (at(m).a = a.scores[i] ?? null));
  b.messages.forEach((m, i) => (at(m).b = b.scores[i] ?? null));
  const paired = [...byMessage.values()].sort((x, y) => x.message - y.message);
  for (const step of paired) step.difference = step.a !== null && step.b !== null ? step.a - step.b : null;
  return paired;
}

export interface DecisiveComparison {
  /** The message each scoring's predictor names (null: it names none). */
  a: number | null;
  b: number | null;
  same: boolean;
  /** `same decisive step (message 6)`, or `A: message 6 · B: message 8`. */
  summary: string;
}

const named = (message: number | null) => (message === null ? 'none' : `message ${message}`);

export function compareDecisiveSteps(a: number | null, b: number | null): DecisiveComparison {
  const same = a === b;
  return { a, b, same, summary: same ? `same decisive step (${named(a)})` : `A: ${named(a)} · B: ${named(b)}` };
}

/** The per-token advantages of a step, or null when its scoring has step-level figures only (the two sides' tokens differ). */
export function stepTokenAdvantages(step: Pick<ScoreStep, 'policy' | 'reference'>, beta: number, tokenLevel = true): number[] | null {
  if (!tokenLevel || step.policy.length !== step.reference.length) return null;
  return step.policy.map((p, i) => beta * (p - step.reference[i]));
}
