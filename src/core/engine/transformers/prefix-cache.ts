/**
 * Figures by token position, and the KV cache a `reusePrefix` call keeps for the next sequence:
 * which positions a chunk scores, what carries over from a shared prefix, and where figures go.
 */
import type { KvCache } from '../kv-cache';
import type { ReducedFigures } from '../reduction';
import type { TokenFigures, TokenRange } from '../types';

/** Token positions p whose figures are wanted: range [s, e) of tokens ↔ positions [s − 1, e − 1). */
export function scoredPositionsIn(ranges: readonly TokenRange[], from: number, to: number): number[] {
  const marked = new Uint8Array(Math.max(0, to - from));
  for (const range of ranges) {
    if (range.end <= range.start) continue;
    for (let position = Math.max(range.start - 1, from); position < Math.min(range.end - 1, to); position++) marked[position - from] = 1;
  }
  const positions: number[] = [];
  marked.forEach((flag, index) => {
    if (flag) positions.push(from + index);
  });
  return positions;
}

/** Figures by position of the sequence a prefix cache belongs to; `valid[p]` says position p was reduced. */
export interface PositionFigures {
  logprob: Float32Array;
  entropy: Float32Array;
  topkMean: Float32Array;
  valid: Uint8Array;
}

export function positionFigures(length: number): PositionFigures {
  return { logprob: new Float32Array(length), entropy: new Float32Array(length), topkMean: new Float32Array(length), valid: new Uint8Array(length) };
}

/** The KV cache kept after a `reusePrefix` call, with what it was computed from. */
export interface PrefixCache {
  /** Tokens 0 … kvLength (the last one is the target of position kvLength − 1, when the sequence has it). */
  tokens: Int32Array;
  /** The cache after kvLength positions. */
  kv: KvCache;
  kvLength: number;
  figures: PositionFigures;
}

/** Length of the common prefix of two token sequences. */
export function sharedPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const limit = Math.min(a.length, b.length);
  let shared = 0;
  while (shared < limit && a[shared] === b[shared]) shared++;
  return shared;
}

/** Lexicographic order of token sequences: neighbours share the longest prefixes. */
export function compareTokens(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const shared = sharedPrefixLength(a, b);
  if (shared < a.length && shared < b.length) return a[shared] - b[shared];
  return a.length - b.length;
}

/**
 * How much of the kept cache a sequence can start from: positions below the shared token prefix
 * (and below the cache's and this sequence's forward lengths), cut at the first scored position
 * whose figures the cache lacks — that position's logits must be computed again. A position's
 * figures carry over when its target (the next token) is shared too.
 */
export function reusablePrefix(cache: PrefixCache, tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], forwardLength: number): { reused: number; shared: number } {
  const shared = sharedPrefixLength(cache.tokens, tokenIds);
  let reused = Math.min(shared, cache.kvLength, forwardLength);
  for (const range of ranges) {
    if (range.end <= range.start) continue;
    for (let position = range.start - 1; position < Math.min(range.end - 1, reused); position++) {
      if (!cache.figures.valid[position] || position + 1 >= shared) {
        reused = position;
        break;
      }
    }
  }
  return { reused, shared };
}

export type FigureSource = Pick<ReducedFigures, 'logprob' | 'entropy' | 'topkMean'>;

export function copyPositionFigures(source: FigureSource, index: number, target: PositionFigures, position: number): void {
  target.logprob[position] = source.logprob[index];
  target.entropy[position] = source.entropy[index];
  target.topkMean[position] = source.topkMean[index];
  target.valid[position] = 1;
}

/** Writes the figures of positions [from, to) into each range's arrays (token t ↔ position t − 1). */
export function writeRangeFigures(
  ranges: readonly TokenRange[],
  from: number,
  to: number,
  figures: TokenFigures[],
  lookup: (position: number) => { source: FigureSource; index: number } | null,
): void {
  ranges.forEach((range, rangeIndex) => {
    const out = figures[rangeIndex];
    for (let position = Math.max(range.start - 1, from); position < Math.min(range.end - 1, to); position++) {
      const found = lookup(position);
      if (!found) throw new Error(`internal: no figures for scored position ${position}`);
      out.logprob[position + 1 - range.start] = found.source.logprob[found.index];
      out.entropy[position + 1 - range.start] = found.source.entropy[found.index];
      out.topkMean[position + 1 - range.start] = found.source.topkMean[found.index];
    }
  });
}

