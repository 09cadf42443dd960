import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHashesOf, memoisedContentHash, trajectoryContentHash } from '../../../../src/state/persistence/content-hash';
import { fnv1a64Hex } from '../../../../src/core/tokenizer/fingerprint';
import { folderFilesTag, modelIdentity, pairKeyOf, scoreCacheKey } from '../../../../src/state/persistence/pair-identity';
import { trajectory } from './fixtures';

describe('canonical JSON', () => {
  it('writes object keys sorted at every depth, so key order never changes the text', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('drops undefined members as JSON does, and writes what JSON.stringify writes for the rest', () => {
    expect(canonicalJson({ a: undefined, b: null, c: [undefined, 1] })).toBe('{"b":null,"c":[null,1]}');
    expect(canonicalJson({ s: 'quote " and \\n', n: -0.5, big: 1e21, inf: Infinity })).toBe(JSON.stringify({ big: 1e21, inf: null, n: -0.5, s: 'quote " and \\n' }));
    expect(canonicalJson('ü')).toBe('"ü"');
  });
});

describe('trajectory content hash', () => {
  it('is 64-bit FNV-1a of the canonical JSON of the scored content', () => {
    // Published FNV-1a 64 test vectors, through the same hash class.
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    const t = trajectory('t1');
    const { id, format, taskId, messages, actionSteps, labels } = t;
    expect(trajectoryContentHash(t)).toBe(`fnv1a64:${fnv1a64Hex(canonicalJson({ id, format, taskId, messages, actionSteps, labels }))}`);
  });

  it('ignores where the trajectory came from (metadata) and the order keys were written in', () => {
    const a = trajectory('t1');
    const b = { ...trajectory('t1'), metadata: { line: 99, source: 'elsewhere.jsonl' } };
    const reordered = JSON.parse(JSON.stringify({ metadata: a.metadata, labels: a.labels, actionSteps: a.actionSteps, messages: a.messages, taskId: a.taskId, format: a.format, id: a.id }));
    expect(trajectoryContentHash(b)).toBe(trajectoryContentHash(a));
    expect(trajectoryContentHash(reordered)).toBe(trajectoryContentHash(a));
  });

  it('changes with anything that changes the scores: text, tool arguments, steps, labels, id', () => {
    const base = trajectoryContentHash(trajectory('t1'));
    const changed = [
      trajectory('t1', 'another answer'),
      { ...trajectory('t1'), id: 't2' },
      { ...trajectory('t1'), actionSteps: [] },
      { ...trajectory('t1'), labels: { reward: 0, success: false } },
      (() => {
        const t = trajectory('t1');
        t.messages[1].toolCalls![0].arguments = { flight: 43, seat: '12A' };
        return t;
      })(),
    ];
    const hashes = changed.map(trajectoryContentHash);
    expect(new Set([base, ...hashes]).size).toBe(changed.length + 1);
  });

  it('hashes many trajectories, each object once', async () => {
    const list = [trajectory('a'), trajectory('b'), trajectory('a')];
    const hashes = await contentHashesOf(list, 0);
    expect(hashes[0]).toBe(hashes[2]);
    expect(hashes[0]).not.toBe(hashes[1]);
    expect(memoisedContentHash(list[1])).toBe(hashes[1]);
  });
});

describe('model pair identity', () => {
  const info = { vocabularyFingerprint: 'fnv1a64:0123456789abcdef', vocabSize: 300, maxContext: 512 };

  it('hashes a folder by its files’ paths, sizes and times, whatever order they were listed in', () => {
    const a = new Map([
      ['config.json', { size: 10, lastModified: 1 }],
      ['onnx/model.onnx', { size: 2000, lastModified: 2 }],
    ]);
    const b = new Map([...a].reverse());
    expect(folderFilesTag(a)).toBe(folderFilesTag(b));
    expect(folderFilesTag(a)).toMatch(/^[0-9a-f]{16}$/);
    // A retrained model saved over the same folder is another model.
    expect(folderFilesTag(new Map([...a, ['onnx/model.onnx', { size: 2000, lastModified: 3 }]]))).not.toBe(folderFilesTag(a));
    expect(folderFilesTag(new Map([...a, ['onnx/model.onnx', { size: 2001, lastModified: 2 }]]))).not.toBe(folderFilesTag(a));
  });

  it('names a pair by both models’ sources and tokenizers, and keys scores by pair, dtype, render mode and content', () => {
    const pair = pairKeyOf(modelIdentity('folder:policy#1', info), modelIdentity('folder:reference#2', info));
    expect(pair).toMatch(/^pair:[0-9a-f]{16}$/);
    expect(pairKeyOf(modelIdentity('folder:policy#1', info), modelIdentity('folder:reference#2', info))).toBe(pair);
    expect(pairKeyOf(modelIdentity('folder:reference#2', info), modelIdentity('folder:policy#1', info))).not.toBe(pair);
    expect(pairKeyOf(modelIdentity('folder:policy#1', { ...info, vocabularyFingerprint: 'fnv1a64:ffffffffffffffff' }), modelIdentity('folder:reference#2', info))).not.toBe(pair);
    expect(scoreCacheKey(pair, 'q8', 'chat', 'fnv1a64:00000000000000aa')).toBe(`${pair}|q8|chat|fnv1a64:00000000000000aa`);
  });
});
