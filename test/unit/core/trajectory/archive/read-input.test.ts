/**
 * Inspect `.eval` logs and archives of trajectory files (core/trajectory/archive): every count is
 * checked against raw-archives.ts, which reads the same bytes another way (the ZIP's central
 * directory and node:zlib; GNU tar writes the tar archives).
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readTrajectoryInput } from '../../../../../src/core/trajectory/archive/read-input';
import { gzipHoldsTar } from '../../../../../src/core/trajectory/archive/tar-entries';
import type { Trajectory } from '../../../../../src/core/trajectory/types';
import { evalArchiveCounts, gnuTar, infoZipStreamed, inspectSampleCounts, localHeaderOffset, rawZipEntries, type SampleCounts } from './raw-archives';

const INSPECT = '/work/shared/fixtures/trajectories/inspect_ai';
const EVAL_FIXTURES = ['log_formats.eval', 'log_message_deduplication.eval'];

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  // In uneven slices, as files arrive: entries and headers straddle chunk borders.
  let at = 0;
  let step = 1;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      step = (step * 7) % 4093 || 1;
      controller.enqueue(bytes.slice(at, at + step));
      at += step;
    },
  });
}

const read = (name: string, bytes: Uint8Array, limits?: Parameters<typeof readTrajectoryInput>[2]) => readTrajectoryInput(name, streamOf(bytes), limits);

function countsOf(t: Trajectory): SampleCounts {
  return {
    id: t.id,
    messages: t.messages.length,
    actionSteps: t.actionSteps.length,
    toolCalls: t.messages.reduce((n, m) => n + (m.toolCalls?.length ?? 0), 0),
    success: t.labels.success,
  };
}

const fixture = (name: string) => new Uint8Array(readFileSync(`${INSPECT}/${name}`));

describe('Inspect .eval logs', () => {
  it.each(EVAL_FIXTURES)('%s: one trajectory per sample and epoch, with the counts its raw entries hold', async (name) => {
    const bytes = fixture(name);
    const result = await read(name, bytes);
    expect(result.errors).toEqual([]);
    expect(result.trajectories.map(countsOf)).toEqual(evalArchiveCounts(bytes));
    const header = JSON.parse(rawZipEntries(bytes).get('header.json')!.toString('utf8')) as { status: string; eval: { task: string; model: string } };
    for (const t of result.trajectories) {
      expect(t.format).toBe('inspect-ai');
      expect(t.metadata).toMatchObject({ model: header.eval.model, task: header.eval.task, status: header.status });
    }
  });

  it('tool calls and their results are paired as the log pairs them', async () => {
    const [t] = (await read('d.eval', fixture('log_message_deduplication.eval'))).trajectories;
    const callIds = t.messages.flatMap((m) => m.toolCalls?.map((c) => c.id) ?? []);
    const resultIds = t.messages.filter((m) => m.role === 'tool').map((m) => m.toolCallId);
    expect(callIds.length).toBe(5);
    expect(resultIds).toEqual(callIds);
    expect(t.messages[1].toolCalls?.[0]).toMatchObject({ name: 'bash', arguments: { cmd: 'ls' } });
  });

  it('reads the same sample from .eval and .json alike (one sample reader)', async () => {
    const json = readFileSync(`${INSPECT}/log_tool_call_error.json`, 'utf8');
    const log = JSON.parse(json) as { eval: object; status: string; samples: Record<string, unknown>[] };
    const archive = zipSync({
      '_journal/start.json': strToU8(JSON.stringify({ version: 2, eval: log.eval })),
      'samples/1_epoch_4.json': strToU8(JSON.stringify(log.samples[0])),
      'header.json': strToU8(JSON.stringify({ version: 2, status: log.status, eval: log.eval })),
    });
    const [fromJson, fromEval] = await Promise.all([read('log.json', strToU8(json)), read('log.eval', archive)]);
    expect(fromJson.trajectories.map(countsOf)).toEqual([inspectSampleCounts(log.samples[0])]);
    expect(fromEval.trajectories.map((t) => ({ ...t, metadata: { ...t.metadata, archiveEntry: undefined } }))).toEqual(
      fromJson.trajectories.map((t) => ({ ...t, metadata: { ...t.metadata, archiveEntry: undefined } })),
    );
  });

  it('a failed tool call reads as the model read it: `Error: <message>` (Inspect’s providers send that in place of the content)', async () => {
    const json = readFileSync(`${INSPECT}/log_tool_call_error.json`, 'utf8');
    const raw = (JSON.parse(json) as { samples: { messages: { role: string; error?: { message: string } }[] }[] }).samples[0].messages;
    const [t] = (await read('log.json', strToU8(json))).trajectories;
    const failed = raw.flatMap((m, i) => (m.error ? [i] : []));
    expect(failed.length).toBeGreaterThan(5);
    for (const i of failed) expect(t.messages[i]).toMatchObject({ role: 'tool', content: `Error: ${raw[i].error!.message}` });
  });

  /** A log still being written: stored (uncompressed) entries, no header.json yet, Python's NaN, reasoning and log-probs. */
  const sample = (id: number, value: string) =>
    `{"id": ${id}, "epoch": 2, "messages": [{"role": "user", "content": "2+2?"}, {"id": "a${id}", "role": "assistant", "content": [{"type": "reasoning", "reasoning": "add them"}, {"type": "reasoning", "reasoning": "opaque", "redacted": true}, {"type": "text", "text": "4"}]}],
 "output": {"choices": [{"message": {"id": "a${id}", "role": "assistant", "content": "4"}, "logprobs": {"content": [{"token": "4", "logprob": -Infinity, "top_logprobs": []}]}}]},
 "scores": {"match": {"value": ${value}}}}`;
  const partialLog: Zippable = {
    '_journal/start.json': [strToU8('{"version": 2, "eval": {"task": "arith", "model": "m/x"}}'), { level: 0 }],
    'samples/1_epoch_2.json': [strToU8(sample(1, 'NaN')), { level: 0 }],
    'samples/2_epoch_2.json': [strToU8(sample(2, '"C"')), { level: 6 }],
  };

  it('a log still being written: _journal/start.json names task and model, status "started"; NaN is read, reasoning kept, log-probs kept', async () => {
    const result = await read('partial.eval', zipSync(partialLog));
    expect(result.trajectories.map((t) => [t.id, t.metadata.status, t.metadata.model, t.labels])).toEqual([
      ['1#2', 'started', 'm/x', {}],
      ['2#2', 'started', 'm/x', { success: true }],
    ]);
    expect(result.errors).toEqual([
      {
        file: 'partial.eval',
        entry: 'samples/1_epoch_2.json',
        message: 'partial.eval: samples/1_epoch_2.json: Inspect AI eval log: at scores.match.value: expected a reward (a finite number) or null, found the number NaN; the trajectory is loaded without this label',
        severity: 'notice',
      },
    ]);
    const answer = result.trajectories[0].messages[1];
    expect(answer.content).toBe('<think>\nadd them\n</think>\n4');
    expect(answer.logprobs).toEqual([{ token: '4', logprob: Number.NEGATIVE_INFINITY, topLogprobs: [] }]);
  });
});

describe('Inspect .eval sample order', () => {
  it('samples come in Inspect’s own order (epoch, then id; numbers as numbers), not the order they were written in', async () => {
    const sampleText = (id: number | string, epoch: number) => JSON.stringify({ id, epoch, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] });
    const written: [number | string, number][] = [[10, 1], [1, 2], ['b', 1], [2, 1], ['a', 1]];
    const log: Zippable = { '_journal/start.json': strToU8('{"version": 2, "eval": {"task": "t", "model": "m"}}') };
    for (const [id, epoch] of written) log[`samples/${id}_epoch_${epoch}.json`] = strToU8(sampleText(id, epoch));
    const result = await read('order.eval', zipSync(log));
    // Inspect's sort_samples: numbers as 20-digit zero-filled text, which sorts before letters.
    expect(result.trajectories.map((t) => t.id)).toEqual(['2#1', '10#1', 'a#1', 'b#1', '1#2']);
  });
});

describe('archives of trajectory files, read like a folder', () => {
  const evalLog = fixture('log_message_deduplication.eval');
  const files: Record<string, Uint8Array> = {
    'run/README.md': strToU8('# notes'),
    'run/logs/dedup.eval': evalLog,
    'run/chat.jsonl': strToU8('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{"messages": [\n'),
    'run/unknown.json': strToU8('{"hello": "world"}'),
    [`run/${'deep/'.repeat(30)}10.json`]: strToU8('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}'),
    'run/.hidden.json': strToU8('not read'),
  };
  const expectedIds = [`run/${'deep/'.repeat(30)}10.json:0`, 'run/chat.jsonl:0', 'run/logs/dedup.eval:0#1'];
  const expectedErrors = (archive: string) => [
    {
      file: archive,
      entry: 'run/chat.jsonl',
      line: 2,
      column: 15,
      record: 1,
      message: `${archive}: run/chat.jsonl:2:15: invalid JSON: unexpected end of input: expected a value (object, array, string, number, true, false or null)`,
    },
    {
      file: archive,
      entry: 'run/unknown.json',
      message: expect.stringMatching(new RegExp(`^${archive.replace('.', '\\.')}: run/unknown\\.json: not a known trajectory format`)) as unknown as string,
    },
  ];

  async function check(archive: string, bytes: Uint8Array) {
    const result = await read(archive, bytes);
    expect([...result.trajectories.map((t) => t.id)].sort()).toEqual([...expectedIds].sort());
    expect(result.errors.sort((a, b) => a.message.localeCompare(b.message))).toEqual(expectedErrors(archive));
    const fromEval = result.trajectories.find((t) => t.id.startsWith('run/logs/dedup.eval'))!;
    expect({ ...countsOf(fromEval), id: '0#1' }).toEqual(evalArchiveCounts(evalLog)[0]);
    expect(fromEval.metadata.archiveEntry).toBe('run/logs/dedup.eval: samples/0_epoch_1.json');
  }

  it('.zip: every trajectory file loads (an .eval inside too), READMEs and hidden files are left out, a broken file is listed with its reason', async () => {
    await check('folder.zip', zipSync(files));
  });

  it('.tar.gz (GNU tar, long names) and .tar (pax) the same', async () => {
    const tgz = gnuTar(files, { gzip: true });
    expect(gzipHoldsTar(tgz.subarray(0, 64 * 1024))).toBe(true);
    await check('folder.tar.gz', tgz);
    await check('folder.tar', gnuTar(files, { gzip: false, format: 'pax' }));
  });

  it('a ZIP written to a pipe (sizes in data descriptors, as Finder and streaming writers write them) the same', async () => {
    await check('streamed.zip', infoZipStreamed(files, { stored: false }));
  });

  it('an archive stored uncompressed without its size inside a ZIP is refused (a stream cannot find its end), the files before it kept', async () => {
    const result = await read('stored.zip', infoZipStreamed({ 'a.json': files[`run/${'deep/'.repeat(30)}10.json`], 'b.eval': evalLog }, { stored: true }));
    expect(result.trajectories.map((t) => t.id)).toEqual(['a.json:0']);
    expect(result.errors.map((e) => e.message)).toEqual([
      'stored.zip: the ZIP entry "b.eval" is an archive stored uncompressed without its size (a data descriptor), which cannot be read as a stream: re-create the archive with compression',
    ]);
  });

  it('a bundle (gzip-compressed JSON) is not taken for a tar archive', async () => {
    const { gzipSync } = await import('fflate');
    expect(gzipHoldsTar(gzipSync(strToU8('{"format": "progress-advantage-bundle/1"}')))).toBe(false);
  });
});

describe('broken and oversized archives', () => {
  const log = fixture('log_formats.eval');

  it('cut short inside an entry, or before its central directory: refused with that reason; samples read before stay', async () => {
    const inSample = await read('cut.eval', log.subarray(0, 1500));
    expect(inSample).toEqual({ trajectories: [], errors: [{ file: 'cut.eval', message: 'cut.eval: the ZIP archive is truncated or damaged (invalid zip data)' }] });
    const beforeEnd = await read('cut.eval', log.subarray(0, log.length - 30));
    expect(beforeEnd.trajectories.map((t) => t.id)).toEqual(['1#1']);
    expect(beforeEnd.errors).toEqual([{ file: 'cut.eval', message: 'cut.eval: the ZIP archive is truncated (it has no end-of-central-directory record)' }]);
  });

  it('an entry compressed with a method other than stored or DEFLATE: refused naming it', async () => {
    const zip = zipSync({ 'a.json': strToU8('{"messages": [{"role": "user", "content": "hi"}]}') }, { level: 6 });
    const bzip2 = Uint8Array.from(zip);
    bzip2[8] = 12; // the local header's method: bzip2
    expect((await read('bz.zip', bzip2)).errors.map((e) => e.message)).toEqual(['bz.zip: the ZIP entry "a.json" cannot be read (unknown compression type 12)']);
  });

  it('a tar.gz cut short', async () => {
    const tgz = gnuTar({ 'a.json': strToU8(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(5000) }] })) }, { gzip: true });
    const result = await read('cut.tar.gz', tgz.subarray(0, tgz.length - 20));
    expect(result.errors.map((e) => e.message)).toEqual(['cut.tar.gz: the gzip-compressed tar archive is truncated or damaged (unexpected EOF)']);
    // A damaged trailer (or a cut between two deflate blocks, which inflates without complaint) fails gzip's own check.
    const damaged = Uint8Array.from(tgz);
    damaged[damaged.length - 8] ^= 0xff;
    expect((await read('damaged.tar.gz', damaged)).errors.map((e) => e.message)).toEqual([
      'damaged.tar.gz: the gzip-compressed tar archive is truncated or damaged (its gzip checksum or length does not match)',
    ]);
  });

  it('gzip data that is no tar archive, and an archive without trajectory files', async () => {
    const { gzipSync } = await import('fflate');
    expect((await read('x.gz', gzipSync(strToU8('{"messages": []}')))).errors.map((e) => e.message)).toEqual(['x.gz: is not a tar archive (its first block is no tar header)']);
    expect((await read('docs.zip', zipSync({ 'README.md': strToU8('#') }))).errors.map((e) => e.message)).toEqual([
      'docs.zip: the ZIP archive holds no trajectory files (.json, .jsonl, .traj, .eval or archives; 1 entry was left out by name)',
    ]);
  });

  // Entries' CRC-32s (fflate checks none), computed here with node:zlib.
  const hex = (bytes: Uint8Array) => crc32(bytes).toString(16).padStart(8, '0');
  const doc = (reward: string) => `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "reward": ${reward}}`;
  const docs = { 'a.json': doc('0.1111'), 'b.json': doc('0.2222'), 'c.json': doc('0.3333') };
  /** The archive with one digit of b.json's number changed (its data is stored, so it is there as written). */
  const damageB = (zip: Uint8Array) => {
    const out = Uint8Array.from(zip);
    out[Buffer.from(out).indexOf('0.2222') + 3] = '7'.charCodeAt(0);
    return out;
  };

  it('a stored entry with a byte changed (a digit of a number: the JSON still parses): refused by its local header CRC-32, naming it; the other entries load', async () => {
    const zip = zipSync(Object.fromEntries(Object.entries(docs).map(([name, text]) => [name, strToU8(text)])), { level: 0 });
    const result = await read('crc.zip', damageB(zip));
    expect(result.trajectories.map((t) => t.id)).toEqual(['a.json:0', 'c.json:0']);
    expect(result.errors).toEqual([
      {
        file: 'crc.zip',
        entry: 'b.json',
        message: `crc.zip: the ZIP entry "b.json" is damaged: its bytes have CRC-32 ${hex(strToU8(doc('0.2722')))}, the archive records ${hex(strToU8(docs['b.json']))}`,
      },
    ]);
  });

  it("a local header inside a stored entry (a stored ZIP holding an entry of the next entry's name) is not taken for the next entry's", async () => {
    const inner = zipSync({ 'b.json': strToU8(doc('0.5555')) }, { level: 0 });
    const zip = zipSync({ 'inner.zip': inner, 'b.json': strToU8(docs['b.json']) }, { level: 0 });
    expect(await read('outer.zip', zip)).toMatchObject({ trajectories: [{ id: 'inner.zip:b.json:0' }, { id: 'b.json:0' }], errors: [] });
    const result = await read('outer.zip', damageB(zip));
    expect(result.trajectories.map((t) => t.id)).toEqual(['inner.zip:b.json:0']);
    expect(result.errors.map((e) => e.message)).toEqual([
      `outer.zip: the ZIP entry "b.json" is damaged: its bytes have CRC-32 ${hex(strToU8(doc('0.2722')))}, the archive records ${hex(strToU8(docs['b.json']))}`,
    ]);
  });

  it("an .eval sample whose local header's CRC-32 is changed: refused naming the sample entry; the log's other entries and samples are read", async () => {
    const sample = 'samples/1_epoch_1.json';
    const sampleBytes = rawZipEntries(log).get(sample)!;
    const recorded = crc32(sampleBytes) ^ 0x01;
    const message = (archive: string) =>
      `${archive}: the ZIP entry "${sample}" is damaged: its bytes have CRC-32 ${hex(sampleBytes)}, the archive records ${recorded.toString(16).padStart(8, '0')}`;
    const damaged = Uint8Array.from(log);
    damaged[localHeaderOffset(log, sample) + 14] ^= 0x01;
    expect(await read('crc.eval', damaged)).toEqual({ trajectories: [], errors: [{ file: 'crc.eval', entry: sample, message: message('crc.eval') }] });
    // The same log with a second sample (written again by fflate, DEFLATE, CRCs in the local headers): that one loads.
    const entries: Zippable = Object.fromEntries([...rawZipEntries(log)].map(([name, bytes]) => [name, new Uint8Array(bytes)]));
    entries['samples/2_epoch_1.json'] = strToU8(sampleBytes.toString('utf8').replace('"id": 1,', '"id": 2,'));
    const two = zipSync(entries, { level: 6 });
    two[localHeaderOffset(two, sample) + 14] ^= 0x01;
    const result = await read('two.eval', two);
    expect(result.trajectories.map((t) => t.id)).toEqual(['2#1']);
    expect(result.errors).toEqual([{ file: 'two.eval', entry: sample, message: message('two.eval') }]);
  });

  it('an entry with a data descriptor (a ZIP written to a pipe) with a byte changed: caught against the central directory at the end', async () => {
    const zip = infoZipStreamed(docs, { stored: true });
    const result = await read('streamed.zip', damageB(zip));
    // Read before its CRC-32 comes: its trajectory is delivered, and the error says it may be wrong.
    expect(result.trajectories.map((t) => t.id)).toEqual(['a.json:0', 'b.json:0', 'c.json:0']);
    expect(result.errors.map((e) => e.message)).toEqual([
      `streamed.zip: the ZIP entry "b.json" is damaged: its bytes have CRC-32 ${hex(strToU8(doc('0.2722')))}, the archive records ${hex(strToU8(docs['b.json']))} (found at the archive's end, after the entry was read: its trajectories may be wrong)`,
    ]);
    expect((await read('streamed.zip', zip)).errors).toEqual([]);
  });

  it('entry count, expanded size and nesting are bounded, with a clear error', async () => {
    const limits = { maxEntries: 2, maxBytes: 1 << 20, maxDepth: 2 };
    const three = zipSync({ 'a.json': strToU8('{}'), 'b.json': strToU8('{}'), 'c.json': strToU8('{}') });
    expect((await read('many.zip', three, { limits })).errors.at(-1)?.message).toBe(
      'many.zip: holds more than 2 entries, the most one archive may hold (nested archives included): split it',
    );
    const bomb = zipSync({ 'zeros.json': new Uint8Array(4 << 20) }, { level: 9 });
    expect(bomb.length).toBeLessThan(10_000);
    expect((await read('bomb.zip', bomb, { limits })).errors.at(-1)?.message).toBe(
      'bomb.zip: expands to more than 1 MiB, the most one archive may expand to (nested archives included): refused as a possible zip bomb; split it',
    );
    const nested = zipSync({ 'b.zip': zipSync({ 'c.zip': zipSync({ 'd.json': strToU8('{}') }) }) });
    expect((await read('nest.zip', nested, { limits })).errors.map((e) => e.message)).toEqual([
      'nest.zip: b.zip: c.zip: an archive inside archives 2 deep: at most 2 levels are read',
    ]);
  });
});
