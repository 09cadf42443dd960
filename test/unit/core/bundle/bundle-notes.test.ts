/** Notes in analysis bundles (version 2): they round-trip, a version-1 bundle still reads, and a note off its trajectory is refused at its place. */
import { describe, expect, it } from 'vitest';
import { gzipSync, strToU8 } from 'fflate';
import { BUNDLE_FORMAT, BundleError, decodeBundle, encodeBundle } from '../../../../src/core/bundle';
import { payloadBundle } from './fixtures';

const created = '2026-12-05T08:30:00.000Z';
const gz = (value: unknown) => gzipSync(strToU8(JSON.stringify(value)));

describe('notes in analysis bundles', () => {
  it('writes version 2 and reads its notes back as written', async () => {
    const bundle = payloadBundle();
    bundle.entries[0].notes = [
      { message: 2, tokens: { start: 1, end: 3 }, text: 'gave up <img src=x onerror=alert(1)>', tags: ['decisive', 'own tag'], created },
      { message: 4, tokens: null, text: '', tags: ['recovery'], created },
    ];
    const back = await decodeBundle(encodeBundle(bundle), 'b.pa-bundle.json.gz');
    expect(back.format).toBe(BUNDLE_FORMAT);
    expect(back.entries[0].notes).toEqual(bundle.entries[0].notes);
  });

  it('reads a version-1 bundle (no notes)', async () => {
    const v1 = { ...JSON.parse(JSON.stringify(payloadBundle())), format: 'progress-advantage-bundle/1' };
    const back = await decodeBundle(gz(v1), 'old.pa-bundle.json.gz');
    expect(back.entries[0].notes).toBeUndefined();
  });

  it('refuses a note on a message that is not an action step, or past the step’s tokens', async () => {
    const refused = async (note: unknown) => {
      const value = JSON.parse(JSON.stringify(payloadBundle()));
      value.entries[0].notes = [note];
      try {
        await decodeBundle(gz(value), 'n.pa-bundle.json.gz');
      } catch (error) {
        expect(error).toBeInstanceOf(BundleError);
        return (error as BundleError).message.replace(/ \(trajectory .*$/, '');
      }
      throw new Error('accepted');
    };
    expect(await refused({ message: 1, tokens: null, text: 'x', tags: [], created })).toBe('n.pa-bundle.json.gz: entries[0].notes[0]: message 1 is not an action step of the trajectory');
    expect(await refused({ message: 4, tokens: { start: 1, end: 9 }, text: 'x', tags: [], created })).toBe(
      "n.pa-bundle.json.gz: entries[0].notes[0]: the token range 1-9 ends past the step's 3 scored tokens",
    );
    expect(await refused({ message: 4, tokens: null, text: 'x', tags: [], created: 'now', extra: 1 })).toMatch(/^n\.pa-bundle\.json\.gz: entries\[0\]\.notes\[0\]/);
  });
});
