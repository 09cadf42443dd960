import { describe, expect, it } from 'vitest';
import { gzipSync, strToU8 } from 'fflate';
import {
  BUNDLE_FORMAT,
  BundleError,
  crc32,
  decodeBundle,
  encodeBundle,
  gunzipBounded,
  looksLikeBundle,
  validateBundle,
  type AnalysisBundle,
} from '../../../../src/core/bundle';
import { payloadBundle, PAYLOADS } from './fixtures';
import { formatLimit } from '../../../../src/core/bundle/compression';

const gz = (value: unknown) => gzipSync(strToU8(typeof value === 'string' ? value : JSON.stringify(value)));
const clone = (b: AnalysisBundle): Record<string, any> => JSON.parse(JSON.stringify(b));

async function rejection(source: Uint8Array | Blob, limits?: Parameters<typeof decodeBundle>[2]): Promise<BundleError> {
  try {
    await decodeBundle(source, 'test.pa-bundle.json.gz', limits);
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return error as BundleError;
  }
  throw new Error('the bundle was accepted');
}

describe('analysis bundle: round trip', () => {
  it('decodes what it encodes, payloads and all, from bytes and from a Blob', async () => {
    const bundle = payloadBundle();
    const bytes = encodeBundle(bundle);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const fromBytes = await decodeBundle(bytes, 'a.pa-bundle.json.gz');
    expect(fromBytes).toEqual(JSON.parse(JSON.stringify(bundle)));
    const fromBlob = await decodeBundle(new Blob([bytes]), 'a.pa-bundle.json.gz');
    expect(fromBlob).toEqual(fromBytes);
    // Untrusted text survives as data, byte for byte.
    expect(fromBlob.entries[0].trajectory.messages[2].toolCalls?.[0].name).toBe(`tool ${PAYLOADS.img}`);
    expect(fromBlob.entries[0].score?.record.steps[1].tokens?.[1]).toBe(PAYLOADS.script);
  });

  it('writes the format key first and reads a plain (uncompressed) bundle too', async () => {
    const bundle = payloadBundle();
    const text = new TextDecoder().decode((await import('fflate')).gunzipSync(encodeBundle(bundle)));
    expect(text.startsWith(`{"format":"${BUNDLE_FORMAT}"`)).toBe(true);
    expect(looksLikeBundle(strToU8(text))).toBe(true);
    expect(await decodeBundle(strToU8(text), 'plain.pa-bundle.json')).toEqual(JSON.parse(text));
  });

  it('keeps extra provenance keys of score records', async () => {
    const bundle = payloadBundle();
    const decoded = await decodeBundle(encodeBundle(bundle), 'x');
    expect(decoded.entries[0].score?.record.policyModel).toBe(`policy ${PAYLOADS.svg}`);
  });

  it('refuses to write an invalid bundle', () => {
    const bundle = payloadBundle();
    bundle.entries[0].trajectory.actionSteps = [9];
    expect(() => encodeBundle(bundle)).toThrow(/entries\[0\]\.trajectory\.actionSteps\[0\]: message 9 does not exist/);
  });
});

describe('analysis bundle: recognising one', () => {
  it('by gzip magic bytes or the format key at the start of JSON', () => {
    expect(looksLikeBundle(new Uint8Array([0x1f, 0x8b, 8]))).toBe(true);
    expect(looksLikeBundle(strToU8(' \n{ "format" : "progress-advantage-bundle/2", "x": 1'))).toBe(true);
    expect(looksLikeBundle(strToU8('{"messages": [], "format": "progress-advantage-bundle/1"}'))).toBe(false);
    expect(looksLikeBundle(strToU8('[{"role": "user"}]'))).toBe(false);
    expect(looksLikeBundle(new Uint8Array([0x1f]))).toBe(false);
  });
});

describe('analysis bundle: rejections name the place and the reason', () => {
  it('a bundle of another version', async () => {
    const value = { ...clone(payloadBundle()), format: 'progress-advantage-bundle/3' };
    const error = await rejection(gz(value));
    expect(error.place).toBe('format');
    expect(error.message).toBe(
      'test.pa-bundle.json.gz: format: bundle version "progress-advantage-bundle/3" is not supported; this app reads "progress-advantage-bundle/1" and "progress-advantage-bundle/2"',
    );
  });

  it('JSON that is not a bundle', async () => {
    expect((await rejection(gz({ messages: [] }))).message).toBe(
      'test.pa-bundle.json.gz: format: is not an analysis bundle: expected "progress-advantage-bundle/2", got nothing (missing)',
    );
    expect((await rejection(gz([1, 2]))).message).toMatch(/is not an analysis bundle: expected a JSON object .* got an array/);
  });

  it('wrong types, with the JSON path and the trajectory id', async () => {
    const value = clone(payloadBundle());
    value.entries[0].score.record.steps[1].policy[2] = 'NaN';
    const error = await rejection(gz(value));
    expect(error.place).toBe('entries[0].score.record.steps[1].policy[2]');
    expect(error.reason).toContain('expected a finite number, got the string "NaN"');
    expect(error.reason).toContain(`(trajectory ${JSON.stringify(value.entries[0].trajectory.id)})`);

    const roles = clone(payloadBundle());
    roles.entries[1].trajectory.messages[0].role = 'root';
    expect((await rejection(gz(roles))).message).toContain('entries[1].trajectory.messages[0].role: expected one of "system", "user", "assistant", "tool", got the string "root"');

    const extra = clone(payloadBundle());
    extra.entries[0].trajectory.messages[1].html = '<b>x</b>';
    expect((await rejection(gz(extra))).message).toContain('entries[0].trajectory.messages[1]: unknown key "html"');

    const settings = clone(payloadBundle());
    settings.settings.evaluation.beta = 0;
    expect((await rejection(gz(settings))).place).toBe('settings.evaluation.beta');
  });

  it('parts that do not fit together', async () => {
    const step = clone(payloadBundle());
    step.entries[0].score.record.steps[0].message = 3;
    expect((await rejection(gz(step))).message).toContain('entries[0].score.record.steps[0].message: message 3 is not an action step of the trajectory');

    const selected = clone(payloadBundle());
    selected.selected = 5;
    expect((await rejection(gz(selected))).message).toContain('selected: 5 is not an entry index (there are 2 entries)');

    const lengths = clone(payloadBundle());
    lengths.entries[0].score.record.steps[0].tokens.pop();
    expect((await rejection(gz(lengths))).message).toContain('entries[0].score.record.steps[0].tokens: has 3 entries but policy has 4');

    const empty = clone(payloadBundle());
    empty.entries = [];
    expect((await rejection(gz(empty))).message).toContain('entries: a bundle holds at least one trajectory');
  });

  it('a score of another trajectory, and what loading refuses or drops (the one validation, core/trajectory/validate.ts)', async () => {
    const stranger = clone(payloadBundle());
    const ownId = stranger.entries[0].trajectory.id;
    stranger.entries[0].score.record.id = 'someone-else';
    const refused = await rejection(gz(stranger));
    expect(refused.place).toBe('entries[0].score.record.id');
    expect(refused.reason).toContain(`the score belongs to trajectory "someone-else", not to this entry's trajectory ${JSON.stringify(ownId)}`);

    const pastEnd = clone(payloadBundle());
    const count = pastEnd.entries[1].trajectory.messages.length;
    pastEnd.entries[1].trajectory.labels.mistakeStep = count;
    expect((await rejection(gz(pastEnd))).message).toContain(`entries[1].trajectory.labels.mistakeStep: message ${count} does not exist (the trajectory has ${count} messages)`);

    const noMessages = clone(payloadBundle());
    noMessages.entries[1].trajectory.messages = [];
    noMessages.entries[1].trajectory.actionSteps = [];
    delete noMessages.entries[1].trajectory.labels.mistakeStep;
    noMessages.entries[1].score = null;
    expect((await rejection(gz(noMessages))).message).toContain('entries[1].trajectory.messages: the trajectory has no messages: expected at least one');
  });

  it('a truncated gzip file, at any length', async () => {
    const bytes = encodeBundle(payloadBundle());
    for (const cut of [1, 4, 8, 9, 100, bytes.length - 12]) {
      const error = await rejection(bytes.subarray(0, bytes.length - cut));
      expect(error.place).toBeNull();
      expect(error.reason).toMatch(/truncated|damaged/);
    }
  });

  it('a damaged gzip file (one flipped byte in the data)', async () => {
    const bytes = encodeBundle(payloadBundle()).slice();
    bytes[Math.floor(bytes.length / 2)] ^= 0x55;
    expect((await rejection(bytes)).reason).toMatch(/truncated or damaged|not valid compressed data/);
  });

  it('two gzip members, text that is not UTF-8 or not JSON, an empty file', async () => {
    const one = encodeBundle(payloadBundle());
    const two = new Uint8Array(one.length * 2);
    two.set(one);
    two.set(one, one.length);
    expect((await rejection(two)).reason).toContain('more than one gzip member');
    expect((await rejection(gzipSync(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).reason).toBe('is not UTF-8 text once decompressed');
    expect((await rejection(gz('{"format": "progress-advantage-bundle/1",'))).reason).toMatch(/^is not valid JSON once decompressed \(/);
    expect((await rejection(new Uint8Array(0))).reason).toBe('is empty');
  });

  it('too big compressed, or once decompressed', async () => {
    const bytes = encodeBundle(payloadBundle());
    expect((await rejection(bytes, { maxCompressedBytes: bytes.length - 1, maxDecompressedBytes: 1e9 })).reason).toBe(`is bigger than the ${formatLimit(bytes.length - 1)} allowed for a compressed file`);
    expect((await rejection(bytes, { maxCompressedBytes: 1e9, maxDecompressedBytes: 1000 })).reason).toBe('is bigger than the 1000 bytes allowed once decompressed');
    const plain = strToU8(JSON.stringify(payloadBundle()));
    expect((await rejection(plain, { maxCompressedBytes: 1e9, maxDecompressedBytes: plain.length - 1 })).reason).toContain('allowed once decompressed');
  });

  it('a zip bomb stops at the limit without inflating the rest', async () => {
    // 64 MB of zeros compress to about 64 KB; the limit is 1 MB.
    const bomb = gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(200 * 1024);
    let produced = 0;
    const error = await gunzipBounded(
      (async function* () {
        // Counting what the decoder consumed: it stops long before the end of the input.
        for (let i = 0; i < bomb.length; i += 4096) {
          produced += 4096;
          yield bomb.subarray(i, i + 4096);
        }
      })(),
      { maxCompressedBytes: 1e9, maxDecompressedBytes: 1024 * 1024 },
    ).catch((e: unknown) => e);
    expect(String(error)).toContain('is bigger than the 1 MB allowed once decompressed');
    expect(produced).toBeLessThan(bomb.length / 4);
    expect((await rejection(bomb, { maxCompressedBytes: 1e9, maxDecompressedBytes: 1024 * 1024 })).reason).toBe('is bigger than the 1 MB allowed once decompressed');
  });
});

describe('validateBundle', () => {
  it('drops __proto__ keys of objects it rebuilds and never pollutes prototypes', () => {
    const text = JSON.stringify(clone(payloadBundle())).replace('"metadata":{', '"metadata":{"__proto__":{"polluted":true},');
    const bundle = validateBundle(JSON.parse(text), 'x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(bundle.entries[0].trajectory.metadata)).toBe(Object.prototype);
  });
});

describe('crc32', () => {
  it('is gzip’s CRC-32, carried across chunks', () => {
    expect(crc32(strToU8('123456789'))).toBe(0xcbf43926);
    expect(crc32(strToU8('6789'), crc32(strToU8('12345')))).toBe(0xcbf43926);
  });
});
