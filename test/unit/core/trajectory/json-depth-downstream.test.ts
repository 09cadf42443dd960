/**
 * What the nesting bound protects: every step after ingestion that recurses handles the deepest
 * trajectory a file can produce (MAX_TRAJECTORY_DEPTH), and does so with room to spare — the same
 * steps pass on a trajectory three times as deep. Node's limits are the reference here; Chromium's
 * (measured when the bound was chosen: postMessage from a worker ≈ 1,860 levels) are checked by
 * test/e2e/input-limits.test.ts on the real page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../../../src/core/bundle';
import { renderPlainTexts, toChatTemplateMessages } from '../../../../src/core/render';
import { fromTransformersTokenizer } from '../../../../src/core/tokenizer';
import { parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import { MAX_JSON_DEPTH, MAX_TRAJECTORY_DEPTH } from '../../../../src/core/trajectory/json-depth';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import { canonicalJson, trajectoryContentHash } from '../../../../src/state/persistence/content-hash';
import { sameMessage } from '../../../../src/ui/group/divergence';
import { prettyJson } from '../../../../src/ui/transcript/pretty-json';
import { bundleReceiver, sendBundle } from '../../../../src/worker/bundle-transfer';
import { payloadBundle } from '../bundle/fixtures';
import { tinyModelFolders, type TinyModelFolders } from '../render/tiny-model-folder';
import { chatRecordOfDepth, chatRecordText, chatRecordWithArgumentString, deepObject, deepObjectText, depthOf } from './deep-json';

function loadOne(name: string, text: string): Trajectory {
  const result = parseTrajectoryText(name, text);
  expect(result.errors).toEqual([]);
  expect(result.trajectories).toHaveLength(1);
  return result.trajectories[0];
}

/** A chat trajectory whose one tool call carries arguments `levels` levels deep inside the trajectory. */
function trajectoryOfDepth(levels: number): Trajectory {
  const t = loadOne('t.json', chatRecordText('{"x":1}'));
  // trajectory, messages, message, toolCalls, call: the arguments object is level 6.
  t.messages[1].toolCalls![0].arguments = deepObject(levels - 5);
  return t;
}

/** The chat template path of `renderChat`: the arguments go through jinja's `tojson`. */
const TOJSON_TEMPLATE =
  '{% for message in messages %}{{ message.role }}{% if message.tool_calls %}{% for call in message.tool_calls %} {{ call.function.arguments | tojson }}{% endfor %}{% endif %}\n{% endfor %}';

let folders: TinyModelFolders;
beforeAll(async () => {
  folders = await tinyModelFolders();
});
afterAll(async () => {
  await folders.dispose();
});

describe('the deepest trajectories files can produce', () => {
  it('are at most MAX_TRAJECTORY_DEPTH deep, and an argument string at the bound reaches it exactly', () => {
    expect(MAX_TRAJECTORY_DEPTH).toBe(MAX_JSON_DEPTH + 5);
    const fromObject = loadOne('object.json', chatRecordOfDepth(MAX_JSON_DEPTH));
    const fromString = loadOne('string.json', chatRecordWithArgumentString(MAX_JSON_DEPTH));
    // A record's own field kept as metadata: record{} then the field (level 2) → trajectory.metadata.field (level 3).
    const fromMetadata = loadOne('meta.json', `{"id":"m","extra":${deepObjectText(MAX_JSON_DEPTH - 1)},"messages":[{"role":"user","content":"q"}]}`);
    expect(depthOf(fromObject)).toBe(MAX_JSON_DEPTH - 1);
    expect(depthOf(fromString)).toBe(MAX_TRAJECTORY_DEPTH);
    expect(depthOf(fromMetadata)).toBe(MAX_JSON_DEPTH + 1);
    expect(depthOf(trajectoryOfDepth(MAX_TRAJECTORY_DEPTH))).toBe(MAX_TRAJECTORY_DEPTH);
  });
});

describe.each([
  ['the deepest a file can produce', MAX_TRAJECTORY_DEPTH],
  ['three times as deep (the margin)', 3 * MAX_TRAJECTORY_DEPTH],
])('every later step on a trajectory %s (%i levels)', (_label, levels) => {
  const trajectory = trajectoryOfDepth(levels);

  it('structured cloning (postMessage to and from workers, IndexedDB)', () => {
    expect(depthOf(structuredClone(trajectory))).toBe(levels);
    // Inside a worker message as the ingestion worker sends it: {trajectories: [t], errors: []} and Comlink's envelope.
    expect(() => structuredClone({ type: 'RETURN', value: { trajectories: [trajectory], errors: [] } })).not.toThrow();
  });

  it('JSON.stringify and canonical JSON hashing (score cache keys)', () => {
    expect(JSON.parse(JSON.stringify(trajectory))).toEqual(trajectory);
    expect(canonicalJson(trajectory.messages[1].toolCalls![0].arguments)).toBe(deepObjectText(levels - 5));
    expect(trajectoryContentHash(trajectory)).toMatch(/^fnv1a64:[0-9a-f]{16}$/);
  });

  it('the plain renderer (Python repr of the arguments)', () => {
    const texts = renderPlainTexts(trajectory);
    expect(texts[1]).toBe(`\n[assistant]: tool_call(lookup, ${"{'a': ".repeat(levels - 5)}1${'}'.repeat(levels - 5)})`);
  });

  it('the chat template (jinja tojson)', async () => {
    const tokenizer = fromTransformersTokenizer(await folders.loadTokenizer(`tojson-${levels}`, ['user', 'assistant', 'tool']), { chatTemplate: TOJSON_TEMPLATE });
    expect(tokenizer.applyChatTemplate!(toChatTemplateMessages(trajectory.messages), {}).length).toBeGreaterThan(levels);
  });

  it('the transcript’s pretty-printer and the group view’s comparison', () => {
    const { text } = prettyJson(trajectory.messages[1].toolCalls![0].arguments);
    expect(text.split('\n')).toHaveLength(2 * (levels - 5) + 1);
    expect(sameMessage(trajectory.messages[1], structuredClone(trajectory.messages[1]))).toBe(true);
  });
});

describe('bundles', () => {
  const bundleWith = (trajectory: Trajectory) => {
    const bundle = payloadBundle();
    bundle.entries[1] = { ...bundle.entries[1], trajectory: { ...trajectory, id: bundle.entries[1].trajectory.id } };
    return bundle;
  };

  it('carry the deepest loadable trajectory there and back, and across to the page in slices', async () => {
    const bundle = bundleWith(trajectoryOfDepth(MAX_TRAJECTORY_DEPTH));
    const decoded = await decodeBundle(encodeBundle(bundle), 'deep.pa-bundle.json.gz');
    expect(depthOf(decoded.entries[1].trajectory)).toBe(MAX_TRAJECTORY_DEPTH);
    const receiver = bundleReceiver();
    // Each slice is cloned as postMessage would clone it.
    const result = await sendBundle('deep.pa-bundle.json.gz', new Blob([encodeBundle(bundle)]), (slice) => receiver.onEntries(structuredClone(slice)));
    const received = receiver.finish(structuredClone(result));
    expect('bundle' in received && depthOf(received.bundle.entries[1].trajectory)).toBe(MAX_TRAJECTORY_DEPTH);
  });

  it('refuse one level more, on reading and on writing, naming the entry and the path', async () => {
    const bundle = bundleWith(trajectoryOfDepth(MAX_TRAJECTORY_DEPTH + 1));
    const reason = `expected a trajectory nested at most ${MAX_TRAJECTORY_DEPTH} levels deep (JSON read from files nests at most ${MAX_JSON_DEPTH}), found ${MAX_TRAJECTORY_DEPTH + 1} levels`;
    expect(() => encodeBundle(bundle)).toThrow(`cannot write the bundle: entries[1].trajectory.messages[1].toolCalls[0].arguments.a.a.a`);
    expect(() => encodeBundle(bundle)).toThrow(reason);
    // Written by hand (not by this app): a bundle's text nesting too deeply.
    const hand = payloadBundle();
    const text = JSON.stringify({ ...hand, entries: [hand.entries[0], { ...hand.entries[1], trajectory: { ...hand.entries[1].trajectory, metadata: { x: '__DEEP__' } } }] }).replace(
      '"__DEEP__"',
      deepObjectText(5000),
    );
    const blob = new Blob([text]);
    const result = await sendBundle('hand.pa-bundle.json', blob, () => undefined);
    expect(result).toEqual({ isBundleError: true, error: expect.stringMatching(/^hand\.pa-bundle\.json: entries\[1\]\.trajectory\.metadata\.x\.a\.a.*…: expected a trajectory nested at most 261 levels deep \(JSON read from files nests at most 256\), found 5,002 levels$/) });
  });

  it('carry -Infinity log-probs (probability 0, from Inspect AI logs) as null and read them back', async () => {
    const bundle = payloadBundle();
    bundle.entries[1].trajectory.messages[4].logprobs = [
      { token: 'done', logprob: Number.NEGATIVE_INFINITY, topLogprobs: [{ token: 'x', logprob: Number.NEGATIVE_INFINITY }] },
      { token: '!', logprob: -0.5 },
    ];
    const decoded = await decodeBundle(encodeBundle(bundle), 'lp.pa-bundle.json.gz');
    expect(decoded.entries[1].trajectory.messages[4].logprobs).toEqual(bundle.entries[1].trajectory.messages[4].logprobs);
    const nan = payloadBundle();
    nan.entries[1].trajectory.messages[4].logprobs = [{ token: 'done', logprob: Number.NaN }];
    expect(() => encodeBundle(nan)).toThrow('cannot write the bundle: entries[1].trajectory.messages[4].logprobs[0].logprob: expected a log-probability (a finite number, or null for -Infinity), got number NaN');
  });
});
