/** Token-range arithmetic shared by the engines and the pair scorer. */
import type { TokenFigures, TokenRange } from './types';

/**
 * Tokens that must go through the model to score `range`: token t is predicted by the logits at
 * position t − 1, so the last scored token e − 1 needs positions 0 … e − 2, i.e. e − 1 tokens.
 * Tokens after the last scored one need no forward pass. 0 for an empty range.
 */
export function contextNeededFor(range: TokenRange): number {
  return range.end > range.start ? range.end - 1 : 0;
}

/** The forward length a set of ranges needs (the largest `contextNeededFor`). */
export function contextNeeded(ranges: readonly TokenRange[]): number {
  let needed = 0;
  for (const range of ranges) needed = Math.max(needed, contextNeededFor(range));
  return needed;
}

/** Throws a RangeError naming the first range that is not a valid [start, end) of a `length`-token sequence. */
export function validateRanges(ranges: readonly TokenRange[], length: number): void {
  ranges.forEach((range, index) => {
    const { start, end } = range;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > length) {
      throw new RangeError(`ranges[${index}] = [${start}, ${end}) is not a token range of a ${length}-token sequence`);
    }
    if (end > start && start < 1) {
      throw new RangeError(`ranges[${index}] = [${start}, ${end}) starts at token 0, which no earlier token predicts; scored ranges start at 1 or later`);
    }
  });
}

/** Throws a RangeError at the first id among the first `count` that is not an integer in [0, vocabSize). */
export function validateTokenIds(tokenIds: ArrayLike<number>, count: number, vocabSize: number): void {
  for (let index = 0; index < count; index++) {
    const id = tokenIds[index];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`token ${index} has id ${id}, outside the model's vocabulary [0, ${vocabSize})`);
    }
  }
}

export function emptyFigures(length: number): TokenFigures {
  return { logprob: new Float32Array(length), entropy: new Float32Array(length), topkMean: new Float32Array(length) };
}

/** An AbortError, the way fetch() and friends report an abort. */
export function abortError(): DOMException {
  return new DOMException('scoring was aborted', 'AbortError');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}
