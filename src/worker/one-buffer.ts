/**
 * Packed score records of one message moved into one ArrayBuffer, so that the message transfers
 * one buffer. Chromium's cost of transferring buffers grows with the square of their count (a
 * message of 75,000 small buffers — 500 score records of 50 steps — took 9 s, one buffer holding
 * the same numbers 0.2 s), which made a large score file load ten times slower than its parse.
 */
import type { PackedScoreRecord, PackedScoreStep } from '../core/scores/packed';

const NUMBER_KEYS = ['policy', 'reference', 'topkMean', 'entropy', 'tokenIds'] as const;

/**
 * Copies every typed array of `records` into one new buffer and replaces each with a view on it
 * (the records must be the sender's own: they are changed in place). Returns the buffers to
 * transfer: that one, or none when the records hold no arrays.
 */
export function shareOneBuffer(records: readonly PackedScoreRecord[]): ArrayBuffer[] {
  let numbers = 0;
  let ends = 0;
  for (const record of records) {
    for (const step of record.steps) {
      for (const key of NUMBER_KEYS) numbers += step[key]?.length ?? 0;
      ends += step.tokens?.ends.length ?? 0;
    }
  }
  if (numbers === 0 && ends === 0) return [];
  const buffer = new ArrayBuffer(numbers * Float64Array.BYTES_PER_ELEMENT + ends * Uint32Array.BYTES_PER_ELEMENT);
  const allNumbers = new Float64Array(buffer, 0, numbers);
  const allEnds = new Uint32Array(buffer, numbers * Float64Array.BYTES_PER_ELEMENT, ends);
  let numberAt = 0;
  let endAt = 0;
  for (const record of records) {
    for (const step of record.steps) {
      for (const key of NUMBER_KEYS) {
        const values = step[key];
        if (!values) continue;
        allNumbers.set(values, numberAt);
        (step as Pick<PackedScoreStep, typeof key>)[key] = allNumbers.subarray(numberAt, numberAt + values.length);
        numberAt += values.length;
      }
      const tokens = step.tokens;
      if (tokens) {
        allEnds.set(tokens.ends, endAt);
        step.tokens = { ...tokens, ends: allEnds.subarray(endAt, endAt + tokens.ends.length) };
        endAt += tokens.ends.length;
      }
    }
  }
  return [buffer];
}
