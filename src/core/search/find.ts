/**
 * Search across trajectories: text in messages, tool calls and tool results (case-insensitive,
 * each hit with its context), and tokens by their figures (token-query.ts) in score records. Pure;
 * results are bounded (`limit`) and say when more were found.
 */
import type { ScoreStep } from '../scores/format';
import type { Trajectory } from '../trajectory/types';
import { tokenMatches, type TokenQuery } from './token-query';

/** Hits listed at most (the rest are counted). */
export const MAX_SEARCH_HITS = 2000;
/** Characters of context shown on each side of a text hit. */
export const CONTEXT_CHARS = 40;

export type TextPlace = 'message' | 'tool call' | 'tool result';

export interface TextHit {
  key: string;
  message: number;
  place: TextPlace;
  /** Character offset of the match in the searched text. */
  offset: number;
  before: string;
  match: string;
  after: string;
}

export interface TokenHit {
  key: string;
  message: number;
  /** Index among the step's scored tokens. */
  index: number;
  A: number;
  logp_policy: number;
  logp_reference: number;
  entropy: number | null;
  /** The token and its neighbours, as the model saw them. */
  before: string;
  token: string;
  after: string;
}

export interface SearchOutcome<H> {
  hits: H[];
  /** All matches, listed or not. */
  total: number;
}

/** What text search looks at: a trajectory by key, in the list's order. */
export interface TextSource {
  key: string;
  trajectory: Trajectory;
}

function contextOf(text: string, offset: number, length: number): Pick<TextHit, 'before' | 'match' | 'after'> {
  const start = Math.max(0, offset - CONTEXT_CHARS);
  const end = Math.min(text.length, offset + length + CONTEXT_CHARS);
  const flat = (s: string) => s.replace(/\s+/g, ' ');
  return { before: (start > 0 ? '…' : '') + flat(text.slice(start, offset)), match: text.slice(offset, offset + length), after: flat(text.slice(offset + length, end)) + (end < text.length ? '…' : '') };
}

/** Every case-insensitive occurrence of `needle` in messages, tool calls (name and arguments) and tool results. */
export function findText(sources: readonly TextSource[], needle: string, limit = MAX_SEARCH_HITS): SearchOutcome<TextHit> {
  const hits: TextHit[] = [];
  let total = 0;
  const wanted = needle.toLowerCase();
  if (wanted === '') return { hits, total };
  const scan = (key: string, message: number, place: TextPlace, text: string) => {
    const lower = text.toLowerCase();
    // Lower-casing keeps the length for all but a few characters; offsets are read in the lowered text and clamped.
    for (let at = lower.indexOf(wanted); at >= 0; at = lower.indexOf(wanted, at + Math.max(1, wanted.length))) {
      total++;
      if (hits.length < limit) hits.push({ key, message, place, offset: at, ...contextOf(text, Math.min(at, text.length), wanted.length) });
    }
  };
  for (const { key, trajectory } of sources) {
    trajectory.messages.forEach((m, i) => {
      scan(key, i, m.role === 'tool' ? 'tool result' : 'message', m.content);
      for (const call of m.toolCalls ?? []) {
        const args = call.rawArguments !== undefined && Object.keys(call.arguments).length === 0 ? call.rawArguments : JSON.stringify(call.arguments);
        scan(key, i, 'tool call', `${call.name}(${args})`);
      }
    });
  }
  return { hits, total };
}

/** What token search looks at: a scored trajectory's steps and the β its figures are read with. */
export interface TokenSource {
  key: string;
  steps: readonly ScoreStep[];
}

const NEIGHBOURS = 4;

/** Every scored token whose figures satisfy the query, A = β·(log π_θ − log π_ref) as the transcript computes it. */
export function findTokens(sources: readonly TokenSource[], query: TokenQuery, beta: number, tokenText: (step: ScoreStep, index: number) => string, limit = MAX_SEARCH_HITS): SearchOutcome<TokenHit> {
  const hits: TokenHit[] = [];
  let total = 0;
  for (const { key, steps } of sources) {
    for (const step of steps) {
      for (let i = 0; i < step.policy.length; i++) {
        const figures = { A: beta * (step.policy[i] - step.reference[i]), logp_policy: step.policy[i], logp_reference: step.reference[i], entropy: step.entropy?.[i] ?? null };
        if (!tokenMatches(query, figures)) continue;
        total++;
        if (hits.length >= limit) continue;
        const around = (from: number, to: number) => {
          let text = '';
          for (let k = Math.max(0, from); k < Math.min(step.policy.length, to); k++) text += tokenText(step, k);
          return text;
        };
        hits.push({ key, message: step.message, index: i, ...figures, before: around(i - NEIGHBOURS, i), token: tokenText(step, i), after: around(i + 1, i + 1 + NEIGHBOURS) });
      }
    }
  }
  return { hits, total };
}

export interface MinimapMark {
  message: number;
  index: number;
  A: number;
  /** Where the token sits among all the trajectory's scored tokens, 0 (first) to 1 (last). */
  position: number;
}

/** The `count` most negative and `count` most positive tokens of a trajectory (A < 0 and A > 0 only), with their place along it. */
export function strongestTokens(steps: readonly ScoreStep[], beta: number, count: number): { negative: MinimapMark[]; positive: MinimapMark[] } {
  let total = 0;
  for (const step of steps) total += step.policy.length;
  const all: MinimapMark[] = [];
  let at = 0;
  for (const step of steps) {
    for (let i = 0; i < step.policy.length; i++, at++) {
      const A = beta * (step.policy[i] - step.reference[i]);
      if (Number.isFinite(A) && A !== 0) all.push({ message: step.message, index: i, A, position: total > 1 ? at / (total - 1) : 0 });
    }
  }
  const negative = all.filter((m) => m.A < 0).sort((a, b) => a.A - b.A || a.position - b.position).slice(0, count);
  const positive = all.filter((m) => m.A > 0).sort((a, b) => b.A - a.A || a.position - b.position).slice(0, count);
  return { negative, positive };
}
