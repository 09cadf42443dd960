/** File reading: layouts, JSON Lines in chunks, byte streams, binary detection, ids. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decideLayout,
  findInvalidUtf8,
  JsonlStreamParser,
  parseTrajectoryBytes,
  parseTrajectoryStream,
  parseTrajectoryText,
  type ParseResult,
} from '../../../../src/core/trajectory/ingest';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = (dir: 'good' | 'bad', name: string) => readFileSync(path.resolve(here, '../../../corpus', dir, name));

const record = (id: string, text = 'hi') => JSON.stringify({ id, messages: [{ role: 'user', content: text }, { role: 'assistant', content: 'ok' }] });

function summary(result: ParseResult) {
  return { ids: result.trajectories.map((t) => t.id), errors: result.errors.map((e) => e.message) };
}

function byteStream(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + chunkSize));
      at += chunkSize;
    },
  });
}

describe('parseTrajectoryText layouts', () => {
  it('reads JSON Lines without the extension when the lines are records', () => {
    const text = `${record('a')}\n${record('b')}\n`;
    expect(summary(parseTrajectoryText('records.txt', text))).toEqual({ ids: ['a', 'b'], errors: [] });
  });

  it('reads a one-line JSON file as JSON, and a .jsonl with one record the same way', () => {
    expect(summary(parseTrajectoryText('one.json', record('a')))).toEqual({ ids: ['a'], errors: [] });
    expect(summary(parseTrajectoryText('one.jsonl', `${record('a')}\n`))).toEqual({ ids: ['a'], errors: [] });
  });

  it('keeps ids unique across the records of one file', () => {
    const text = [record('same'), record('same'), record('same~2')].join('\n');
    expect(summary(parseTrajectoryText('dup.jsonl', text)).ids).toEqual(['same', 'same~2', 'same~2~2']);
  });

  it('reports a JSON Lines syntax error on its own line and column, and loads the rest', () => {
    const text = [record('a'), '{"id": "b", "messages": [}', record('c')].join('\n');
    const result = parseTrajectoryText('x.jsonl', text);
    expect(summary(result).ids).toEqual(['a', 'c']);
    expect(result.errors).toEqual([
      {
        file: 'x.jsonl',
        line: 2,
        column: 26,
        record: 1,
        message: "x.jsonl:2:26: invalid JSON: unexpected character '}': expected a value (object, array, string, number, true, false or null)",
      },
    ]);
  });

  it('accepts records of different formats on consecutive lines', () => {
    const lines = [
      record('chat'),
      JSON.stringify({ id: 'share', conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }] }),
      JSON.stringify({ task_id: 4, trial: 1, reward: 1, info: {}, traj: [{ role: 'user', content: 'q' }] }),
      JSON.stringify({ instance_id: 'o__r-1', resolved: false, messages: [{ role: 'user', content: 'q' }] }),
    ];
    const result = parseTrajectoryText('mixed.jsonl', lines.join('\n'));
    expect(result.errors).toEqual([]);
    expect(result.trajectories.map((t) => [t.format, t.id, t.metadata.sourceLine])).toEqual([
      ['openai-chat', 'chat', 1],
      ['sharegpt', 'share', 2],
      ['tau-bench', '4#1', 3],
      ['openhands', 'o__r-1', 4],
    ]);
  });

  it('strips a byte-order mark', () => {
    expect(summary(parseTrajectoryText('bom.json', `\ufeff${record('a')}`))).toEqual({ ids: ['a'], errors: [] });
  });
});

describe('JsonlStreamParser', () => {
  const text = `\ufeff${record('a', 'é😀')}\r\n\r\n${record('b')}\n{broken\n${record('c')}`;
  const whole = (() => {
    const parser = new JsonlStreamParser('s.jsonl');
    const first = parser.push(text);
    const last = parser.end();
    return { ids: [...first.trajectories, ...last.trajectories].map((t) => t.id), errors: [...first.errors, ...last.errors] };
  })();

  it('reads CRLF lines, blank lines, a final line without newline, and reports the broken one', () => {
    expect(whole.ids).toEqual(['a', 'b', 'c']);
    expect(whole.errors).toEqual([
      { file: 's.jsonl', line: 4, column: 2, record: 2, message: "s.jsonl:4:2: invalid JSON: unexpected character 'b': expected a property name in double quotes or '}'" },
    ]);
  });

  it('gives the same result for every chunk size, splitting lines anywhere', () => {
    for (let size = 1; size <= 40; size++) {
      const parser = new JsonlStreamParser('s.jsonl');
      const ids: string[] = [];
      const errors: unknown[] = [];
      for (let at = 0; at < text.length; at += size) {
        const part = parser.push(text.slice(at, at + size));
        ids.push(...part.trajectories.map((t) => t.id));
        errors.push(...part.errors);
      }
      const last = parser.end();
      ids.push(...last.trajectories.map((t) => t.id));
      errors.push(...last.errors);
      expect({ size, ids, errors }).toEqual({ size, ids: whole.ids, errors: whole.errors });
    }
  });

  it('returns each record as soon as its line is complete', () => {
    const parser = new JsonlStreamParser('s.jsonl');
    expect(parser.push(record('a').slice(0, 10)).trajectories).toHaveLength(0);
    expect(parser.push(`${record('a').slice(10)}\n`).trajectories.map((t) => t.id)).toEqual(['a']);
    expect(parser.records).toBe(1);
  });

  it('reports a stream with no records', () => {
    const parser = new JsonlStreamParser('e.jsonl');
    parser.push('\n \n');
    expect(parser.end().errors.map((e) => e.message)).toEqual(['e.jsonl: empty file (only white space)']);
    expect(new JsonlStreamParser('f.jsonl').end().errors.map((e) => e.message)).toEqual(['f.jsonl: empty file']);
  });
});

describe('decideLayout', () => {
  it.each([
    ['x.jsonl', '', 'jsonl'],
    ['x.json', '', 'undecided'],
    ['x.json', '{"a": 1', 'undecided'],
    ['x.json', '{"a": 1}\n', 'undecided'],
    ['x.json', '{"a": 1}\n{"b"', 'jsonl'],
    ['x.json', '{\n  "a": 1', 'json'],
    ['x.json', '  {"a": 1}\n{"b": 2}', 'json'],
    ['x.json', '\n\n[1]\n[2]', 'jsonl'],
  ])('%s with %j → %s', (name, head, layout) => {
    expect(decideLayout(name, head)).toBe(layout);
  });
});

describe('parseTrajectoryStream', () => {
  const jsonl = new TextEncoder().encode([record('a', 'é'), record('b', '😀'), '{oops', record('c')].join('\n'));

  it('reads JSON Lines chunk by chunk, with multi-byte characters split between chunks', async () => {
    const expected = summary(parseTrajectoryBytes('s.txt', jsonl));
    expect(expected.ids).toEqual(['a', 'b', 'c']);
    for (const size of [1, 2, 3, 7, 64, 100_000]) {
      const progress: number[] = [];
      const result = await parseTrajectoryStream('s.txt', byteStream(jsonl, size), { onProgress: (n) => progress.push(n) });
      expect(summary(result)).toEqual(expected);
      expect(progress.at(-1)).toBe(jsonl.length);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
    }
  });

  it('reads a single JSON document held to the end', async () => {
    const bytes = corpus('good', 'tau-bench-results.json');
    const result = await parseTrajectoryStream('tau.json', byteStream(bytes, 50));
    expect(summary(result)).toEqual({ ids: ['5#0', '5#1'], errors: [] });
  });

  it('falls back to JSON Lines at the end when the first line was broken', async () => {
    const bytes = corpus('bad', 'lines-broken-first.json');
    const result = await parseTrajectoryStream('lines-broken-first.json', byteStream(bytes, 16));
    expect(summary(result)).toEqual(summary(parseTrajectoryBytes('lines-broken-first.json', bytes)));
  });

  it('stops at binary content with the byte offset counted across chunks', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode(`${record('a')}\n`), 0x7b, 0x00]);
    const result = await parseTrajectoryStream('b.jsonl', byteStream(bytes, 8));
    expect(summary(result)).toEqual({ ids: [], errors: [`b.jsonl: binary file (a NUL byte at byte ${bytes.length - 1}): expected JSON or JSON Lines text in UTF-8`] });
  });

  it('reports invalid UTF-8 and empty streams', async () => {
    const latin1 = corpus('bad', 'latin1.json');
    expect(summary(await parseTrajectoryStream('latin1.json', byteStream(latin1, 64))).errors).toEqual([
      'latin1.json: binary file (invalid UTF-8 at byte 32): expected JSON or JSON Lines text in UTF-8',
    ]);
    expect(summary(await parseTrajectoryStream('e.json', byteStream(new Uint8Array(), 4))).errors).toEqual(['e.json: empty file']);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(parseTrajectoryStream('s.jsonl', byteStream(jsonl, 4), { signal: controller.signal })).rejects.toThrow();
  });
});

describe('findInvalidUtf8', () => {
  it.each([
    [[0x61, 0xc3, 0xa9], -1],
    [[0xf0, 0x9f, 0x98, 0x80], -1],
    [[0x61, 0xc0, 0x80], 1], // overlong
    [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate
    [[0x61, 0x62, 0xe2, 0x82], 2], // truncated
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x80], 0], // stray continuation
  ])('%j → %i', (bytes, offset) => {
    expect(findInvalidUtf8(new Uint8Array(bytes))).toBe(offset);
  });
});
