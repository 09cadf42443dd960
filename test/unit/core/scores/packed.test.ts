/**
 * Packed score records: every per-token array becomes one typed array (numbers exact as doubles)
 * or one joined string, a round trip gives the plain record back key for key, and the buffers can
 * be transferred through a MessageChannel (detached on the sending side).
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ScoreRecord } from '../../../../src/core/scores/format';
import {
  PACKED_SCORES,
  isPackedScoreRecord,
  packScoreRecord,
  packTrajectoryScores,
  packedBuffers,
  trajectoryScoreBuffers,
  unpackScoreRecord,
  unpackTrajectoryScores,
  type PackedScoreRecord,
} from '../../../../src/core/scores/packed';

/** Doubles that a float32 would change, a negative zero, the smallest subnormal; tokens with surrogate pairs and empty text. */
const record: ScoreRecord = {
  format: 'progress-advantage-scores/1',
  id: 'r-1',
  taskId: 't',
  reward: 0,
  mistakeStep: 3,
  file: 'extra key kept',
  steps: [
    {
      message: 1,
      agent: 'Planner',
      policy: [-0.1, -1e-300, -0, -123.456789012345],
      reference: [-0.2, -5e-324, -3.14159265358979, -1],
      topkMean: [-1, -2, -3, -4],
      entropy: [0.5, 0.25, 1 / 3, 2],
      tokenIds: [5, 0, 65535, 150000],
      tokens: ['Hi', '', ' 😀 there', '\n'],
    },
    { message: 3, agent: null, policy: [-2], reference: [-3], tokens: null },
    { message: 5, policy: [], reference: [] },
  ],
};

describe('packed score records', () => {
  it('pack every per-token array into a typed array or one string, and unpack to the same record', () => {
    const packed = packScoreRecord(record);
    expect(isPackedScoreRecord(packed)).toBe(true);
    expect(isPackedScoreRecord(record)).toBe(false);
    expect(packed.packed).toBe(PACKED_SCORES);
    const [first, second, third] = packed.steps;
    for (const values of [first.policy, first.reference, first.topkMean, first.entropy, first.tokenIds]) expect(values).toBeInstanceOf(Float64Array);
    expect(first.tokens).toEqual({ text: 'Hi 😀 there\n', ends: Uint32Array.from([2, 2, 11, 12]) });
    expect(second.tokens).toBeNull();
    expect('entropy' in third).toBe(false);
    const unpacked = unpackScoreRecord(packed);
    expect(unpacked).toEqual(record);
    // Exact, not close: Object.is tells −0 from 0.
    expect(Object.is(unpacked.steps[0].policy[2], -0)).toBe(true);
    expect(Object.keys(unpacked.steps[1]).sort()).toEqual(Object.keys(record.steps[1]).sort());
    expect(Object.keys(unpacked.steps[2]).sort()).toEqual(Object.keys(record.steps[2]).sort());
  });

  it('pass a plain record through unpack unchanged (older saved sessions hold plain ones)', () => {
    expect(unpackScoreRecord(record)).toBe(record);
  });

  it('survive structured clone, and their buffers transfer through a MessageChannel', async () => {
    expect(unpackScoreRecord(structuredClone(packScoreRecord(record)))).toEqual(record);
    const packed = packScoreRecord(record);
    const buffers = packedBuffers(packed);
    // policy, reference, topkMean, entropy, tokenIds, token ends of step 1; policy, reference of steps 2 and 3.
    expect(buffers).toHaveLength(10);
    const channel = new MessageChannel();
    const received = new Promise<PackedScoreRecord>((resolve) => channel.port2.once('message', resolve));
    channel.port1.postMessage(packed, buffers);
    const arrived = await received;
    channel.port1.close();
    expect(packed.steps[0].policy.byteLength).toBe(0); // detached: moved, not copied
    expect(unpackScoreRecord(arrived)).toEqual(record);
  });

  it('pack and unpack the record a score file’s trajectory carries, leaving other trajectories as they are', () => {
    const fromScoreFile = { id: 'a', metadata: { line: 4, scoreRecord: record } };
    const plain = { id: 'b', metadata: { line: 5 } };
    const packed = packTrajectoryScores(fromScoreFile);
    expect(isPackedScoreRecord(packed.metadata.scoreRecord)).toBe(true);
    expect(packed.metadata.line).toBe(4);
    expect(packTrajectoryScores(plain)).toBe(plain);
    expect(packTrajectoryScores(packed)).toBe(packed);
    expect(trajectoryScoreBuffers([packed, plain])).toHaveLength(10);
    expect(unpackTrajectoryScores(packed)).toEqual(fromScoreFile);
    expect(unpackTrajectoryScores(plain)).toBe(plain);
  });
});
