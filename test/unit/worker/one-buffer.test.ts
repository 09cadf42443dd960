import { describe, expect, it } from 'vitest';
import { shareOneBuffer } from '../../../src/worker/one-buffer';
import { packScoreRecord, unpackScoreRecord, type PackedScoreRecord } from '../../../src/core/scores/packed';
import type { ScoreRecord } from '../../../src/core/scores/format';
import { longScoreRecord } from '../../../tools/generated';

function records(): ScoreRecord[] {
  const withEntropy = longScoreRecord(300, { id: 'a', entropy: true });
  const plain = longScoreRecord(120, { id: 'b' });
  const withIds: ScoreRecord = { id: 'c', steps: [{ message: 1, policy: [-1, -2.5], reference: [-0.5, -3], tokenIds: [17, 4], tokens: ['x', 'yz'], topkMean: [-7, -8] }] };
  return [withEntropy, plain, withIds];
}

describe('shareOneBuffer', () => {
  it('moves every typed array of a batch into one buffer without changing a value', () => {
    const packed = records().map(packScoreRecord);
    const buffers = shareOneBuffer(packed);
    expect(buffers).toHaveLength(1);
    const arrays = packed.flatMap((r) => r.steps.flatMap((s) => [s.policy, s.reference, s.entropy, s.topkMean, s.tokenIds, s.tokens?.ends]).filter((a) => a != null));
    expect(arrays.length).toBeGreaterThan(200);
    for (const array of arrays) expect(array!.buffer).toBe(buffers[0]);
    expect(packed.map(unpackScoreRecord)).toEqual(records());
  });

  it('survives a transfer: the receiver unpacks the same records and the sender keeps nothing', () => {
    const packed = records().map(packScoreRecord);
    const buffers = shareOneBuffer(packed);
    const received = structuredClone(packed, { transfer: buffers }) as PackedScoreRecord[];
    expect(buffers[0].byteLength).toBe(0);
    expect(received.map(unpackScoreRecord)).toEqual(records());
  });

  it('returns no buffer for records without arrays', () => {
    expect(shareOneBuffer([packScoreRecord({ id: 'empty', steps: [] })])).toEqual([]);
    expect(shareOneBuffer([])).toEqual([]);
  });
});
