import { describe, expect, it } from 'vitest';
import { deflateSync, inflateSync, strToU8 } from 'fflate';
import {
  decodeSnippet,
  encodeSnippet,
  fromBase64Url,
  toBase64Url,
  MAX_INFLATED_BYTES,
  MAX_SNIPPET_HASH_CHARS,
  MAX_SNIPPET_TOKENS,
  MAX_TOKEN_CHARS,
  SNIPPET_HASH_PREFIX,
  type SnippetInput,
} from '../../../../src/core/snippet';
import { formatLimit } from '../../../../src/core/bundle/compression';
import { ALL_PAYLOADS, PAYLOADS } from '../bundle/fixtures';

function step(tokens: number, text = (i: number) => `tok${i} `): SnippetInput {
  return {
    trajectoryId: `t ${PAYLOADS.img}`,
    fileName: `${PAYLOADS.svg}.jsonl`,
    taskId: 'task-1',
    message: 4,
    stepNumber: 2,
    agent: `agent ${PAYLOADS.script}`,
    tokens: Array.from({ length: tokens }, (_, i) => text(i)),
    policy: Array.from({ length: tokens }, (_, i) => -((i * 7919) % 1000) / 137.123456789),
    reference: Array.from({ length: tokens }, (_, i) => -((i * 104729) % 997) / 211.987654321),
    stepScore: -0.123456789,
    decisive: true,
    labelledMistake: false,
    settings: { method: 'progress', tokenAggregation: 'mean', stepAggregation: 'mean', mode: 'difference', beta: 1, predictor: 'min_cumulative', colourRange: 2 },
    modelPair: `policy ${PAYLOADS.iframe} · reference x`,
    createdAt: '2026-03-01T12:00:00.000Z',
  };
}

const hashOfJson = (value: unknown) => SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(strToU8(JSON.stringify(value))));

describe('snippet links', () => {
  it('round-trip a step: texts exactly, log-probs to 6 decimals', () => {
    const input = step(50, (i) => (i === 3 ? ALL_PAYLOADS : `w${i} `));
    const encoded = encodeSnippet(input);
    expect(encoded.hash.startsWith('#snippet=')).toBe(true);
    expect(encoded.hash).toMatch(/^#snippet=[A-Za-z0-9_-]+$/);
    expect(encoded).toMatchObject({ keptTokens: 50, totalTokens: 50 });
    const decoded = decodeSnippet(encoded.hash);
    if (!decoded.ok) throw new Error(decoded.error);
    const s = decoded.snippet;
    expect(s.tokens).toEqual(input.tokens);
    expect(s.tokens[3]).toBe(ALL_PAYLOADS);
    expect(s.trajectoryId).toBe(input.trajectoryId);
    expect(s.agent).toBe(input.agent);
    s.policy.forEach((p, i) => expect(Math.abs(p - input.policy[i])).toBeLessThanOrEqual(5e-7));
    s.reference.forEach((r, i) => expect(Math.abs(r - input.reference[i])).toBeLessThanOrEqual(5e-7));
    expect(s.stepScore).toBe(input.stepScore);
    expect(s.totalTokens).toBe(50);
  });

  it('stay within the bound, keeping as many first tokens as fit', () => {
    // Figures as real ones are: no pattern for deflate to find, so the character bound binds before the token bound.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * -12;
    const input = { ...step(20000), policy: Array.from({ length: 20000 }, random), reference: Array.from({ length: 20000 }, random) };
    const encoded = encodeSnippet(input);
    expect(encoded.hash.length).toBeLessThanOrEqual(MAX_SNIPPET_HASH_CHARS);
    expect(encoded.keptTokens).toBeGreaterThan(100);
    expect(encoded.keptTokens).toBeLessThan(20000);
    // One more token would not have fitted (the bisection found the most).
    const oneMore = encodeSnippet({ ...input, tokens: input.tokens.slice(0, encoded.keptTokens + 1), policy: input.policy.slice(0, encoded.keptTokens + 1), reference: input.reference.slice(0, encoded.keptTokens + 1) }, 1e9);
    // (Within a few characters: \`oneMore\` says it has kept + 1 tokens in all, a shorter number than 20000.)
    expect(oneMore.hash.length).toBeGreaterThan(MAX_SNIPPET_HASH_CHARS - 8);
    expect(encoded.keptTokens).toBeLessThan(MAX_SNIPPET_TOKENS);
    const decoded = decodeSnippet(encoded.hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.snippet.tokens).toEqual(input.tokens.slice(0, encoded.keptTokens));
    expect(decoded.snippet.totalTokens).toBe(20000);
    // A smaller bound is honoured too.
    expect(encodeSnippet(input, 4000).hash.length).toBeLessThanOrEqual(4000);
  });

  it('clip long names so that the bound is about tokens', () => {
    const encoded = encodeSnippet({ ...step(3), trajectoryId: 'x'.repeat(100000) });
    const decoded = decodeSnippet(encoded.hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.snippet.trajectoryId.length).toBe(300);
    expect(decoded.snippet.trajectoryId.endsWith('…')).toBe(true);
  });

  it('report broken links as errors, never throwing', () => {
    const good = encodeSnippet(step(10)).hash;
    const cases: [string, RegExp][] = [
      ['#v=1&t=2', /no #snippet= part/],
      ['#snippet=', /is empty/],
      ['#snippet=abc$%^', /not base64url/],
      [good.slice(0, good.length - 40), /damaged/],
      [`#snippet=${'A'.repeat(MAX_SNIPPET_HASH_CHARS)}`, /too long/],
      [hashOfJson({ v: 2 }), /v: /],
      [hashOfJson([1, 2, 3]), /not a valid snippet/],
      [hashOfJson({ ...step(2), v: 1, totalTokens: 2, policy: [0] }), /policy: has 1 values for 2 tokens/],
      [hashOfJson({ ...step(2), v: 1, totalTokens: 2, policy: ['x', 1] }), /policy\[0\]/],
      [SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(strToU8('{not json'))), /not JSON/],
      [SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(new Uint8Array([0xff, 0xfe]))), /damaged/],
    ];
    for (const [hash, expected] of cases) {
      const decoded = decodeSnippet(hash);
      expect(decoded.ok, hash.slice(0, 40)).toBe(false);
      if (!decoded.ok) expect(decoded.error).toMatch(expected);
    }
  });

  it('refuse a deflate bomb in a link', () => {
    const bomb = SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(new Uint8Array(20 * 1024 * 1024), { level: 9 }));
    expect(bomb.length).toBeLessThan(MAX_SNIPPET_HASH_CHARS);
    const decoded = decodeSnippet(bomb);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toContain(`bigger than the ${formatLimit(MAX_INFLATED_BYTES)} allowed once decompressed`);
  });

  it('refuse what the encoder never writes, quickly: 280,000 empty tokens in a 3.6 KB link (issue 14, item 7)', () => {
    const crafted = { ...step(0), v: 1, tokens: new Array(280_000).fill(''), policy: new Array(280_000).fill(0), reference: new Array(280_000).fill(0), totalTokens: 280_000 };
    const hash = hashOfJson(crafted);
    expect(hash.length).toBeLessThan(6000);
    const started = performance.now();
    const decoded = decodeSnippet(hash);
    expect(performance.now() - started).toBeLessThan(500);
    expect(decoded).toEqual({ ok: false, error: 'the snippet link holds 280,000 tokens; a snippet link holds at most 4,096 (no link this app writes holds more)' });
    // One past the bound is refused; the bound itself is what the encoder writes at most.
    const justOver = { ...crafted, tokens: crafted.tokens.slice(0, MAX_SNIPPET_TOKENS + 1), policy: crafted.policy.slice(0, MAX_SNIPPET_TOKENS + 1), reference: crafted.reference.slice(0, MAX_SNIPPET_TOKENS + 1) };
    expect(decodeSnippet(hashOfJson(justOver)).ok).toBe(false);
    const longest = encodeSnippet(step(300_000, () => ''));
    expect(longest).toMatchObject({ keptTokens: MAX_SNIPPET_TOKENS, totalTokens: 300_000 });
    const opened = decodeSnippet(longest.hash);
    if (!opened.ok) throw new Error(opened.error);
    expect(opened.snippet.tokens).toHaveLength(MAX_SNIPPET_TOKENS);
    // A payload longer than the encoder's bound, and an over-long token text, are refused too.
    expect(decodeSnippet(`#snippet=${'A'.repeat(MAX_SNIPPET_HASH_CHARS)}`)).toMatchObject({ ok: false, error: expect.stringContaining('too long') });
    expect(decodeSnippet(hashOfJson({ ...step(1), v: 1, totalTokens: 1, tokens: ['x'.repeat(MAX_TOKEN_CHARS + 1)] })).ok).toBe(false);
  });

  it('the inflated bound holds the largest snippet the encoder can write (every token as long and escaped as can be)', () => {
    const worst = encodeSnippet({ ...step(MAX_SNIPPET_TOKENS, () => '\u0001'.repeat(MAX_TOKEN_CHARS * 2)), trajectoryId: '\u0001'.repeat(1000), agent: '\u0001'.repeat(1000), fileName: '\u0001'.repeat(1000), taskId: '\u0001'.repeat(1000), modelPair: '\u0001'.repeat(1000), policy: new Array(MAX_SNIPPET_TOKENS).fill(-1.2345678901234567e-300), reference: new Array(MAX_SNIPPET_TOKENS).fill(-123456789.123456) }, 1e9);
    expect(worst.keptTokens).toBe(MAX_SNIPPET_TOKENS);
    const json = new TextDecoder().decode(inflateSync(fromBase64Url(worst.hash.slice(SNIPPET_HASH_PREFIX.length))!));
    expect(new TextEncoder().encode(json).length).toBeLessThanOrEqual(MAX_INFLATED_BYTES);
    expect(new TextEncoder().encode(json).length).toBeGreaterThan(MAX_INFLATED_BYTES * 0.9);
  });
});

describe('base64url', () => {
  it('round-trips every length and refuses foreign characters', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 73 + n) & 255);
      const text = toBase64Url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
    expect(fromBase64Url('ab+c')).toBeNull();
    expect(fromBase64Url('abcde')).toBeNull();
  });
});
