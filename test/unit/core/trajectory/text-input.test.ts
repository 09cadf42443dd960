/**
 * Bytes → text for every reader (src/core/trajectory/text-input.ts) and the streamed reading of
 * files of any size (parseTrajectoryStream): JSON Lines past the longest string load completely, a
 * JSON document past it is refused with a pointer to JSON Lines, and every bad-corpus file gives
 * the same errors streamed in small chunks as read whole.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrajectoryBytes, parseTrajectoryStream } from '../../../../src/core/trajectory/ingest';
import { LineSplitter, MAX_TEXT_CHARS, readTextStream } from '../../../../src/core/trajectory/text-input';

const here = path.dirname(fileURLToPath(import.meta.url));
const BAD = path.resolve(here, '../../../corpus/bad');

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) controller.close();
      else controller.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

/** A stream of `count` chunks made by `make(i)`, generated as they are read (nothing is held). */
function generated(count: number, make: (i: number) => Uint8Array): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i >= count) controller.close();
      else controller.enqueue(make(i++));
    },
  });
}

describe('readTextStream', () => {
  it('names the byte of a NUL or an invalid sequence counted from the start of the file, and cancels the stream', async () => {
    const bytes = new TextEncoder().encode(`${'a'.repeat(100)}\u00e9${'b'.repeat(50)}`);
    const withNul = bytes.slice();
    withNul[120] = 0;
    expect((await readTextStream('n.jsonl', chunked(withNul, 16), () => true)).error?.message).toBe(
      'n.jsonl: binary file (a NUL byte at byte 120): expected JSON or JSON Lines text in UTF-8',
    );
    const invalid = bytes.slice();
    invalid[130] = 0xff;
    expect((await readTextStream('u.jsonl', chunked(invalid, 16), () => true)).error?.message).toBe(
      'u.jsonl: binary file (invalid UTF-8 at byte 130): expected JSON or JSON Lines text in UTF-8',
    );
  });

  it('decodes a character split across chunks and hands over all the text', async () => {
    const text = 'é'.repeat(40) + '日本'.repeat(30);
    let out = '';
    const read = await readTextStream('s.json', chunked(new TextEncoder().encode(text), 7), (t) => void (out += t));
    expect(read).toEqual({ bytesRead: new TextEncoder().encode(text).length, error: null, stopped: false });
    expect(out).toBe(text);
  });
});

describe('LineSplitter', () => {
  it('gives lines across chunk boundaries without their CR LF, the first without a byte-order mark, the last without a newline', () => {
    const lines: [string, number][] = [];
    const splitter = new LineSplitter((line, n) => lines.push([line, n]));
    for (const chunk of ['\uFEFFone\r', '\ntw', 'o\n\nthr', 'ee']) splitter.push(chunk);
    splitter.end();
    expect(lines).toEqual([['one', 1], ['two', 2], ['', 3], ['three', 4]]);
  });
});

describe('parseTrajectoryStream at any size', () => {
  it('loads a JSON Lines file longer than the longest string, record by record', async () => {
    const content = 'x'.repeat(1 << 20);
    const line = (i: number) => new TextEncoder().encode(`${JSON.stringify({ id: `big-${i}`, messages: [{ role: 'user', content }, { role: 'assistant', content: 'ok' }] })}\n`);
    const lines = Math.ceil(MAX_TEXT_CHARS / (1 << 20)) + 8;
    let loaded = 0;
    let lastId = '';
    const result = await parseTrajectoryStream('huge.jsonl', generated(lines, line), {
      onPartial(part) {
        loaded += part.trajectories.length;
        if (part.trajectories.length > 0) lastId = part.trajectories[part.trajectories.length - 1].id;
        expect(part.errors).toEqual([]);
      },
    });
    expect(result).toEqual({ trajectories: [], errors: [] });
    expect(loaded).toBe(lines);
    expect(lastId).toBe(`big-${lines - 1}`);
  }, 120_000);

  it('refuses a JSON document longer than the longest string, naming the file and suggesting JSON Lines', async () => {
    // The bound is the engine's: a string one longer cannot be made.
    expect(() => 'x'.repeat(MAX_TEXT_CHARS + 1)).toThrow(RangeError);
    const spaces = new Uint8Array(1 << 20).fill(0x20);
    const chunks = Math.ceil(MAX_TEXT_CHARS / (1 << 20)) + 2;
    const result = await parseTrajectoryStream('huge.json', generated(chunks, (i) => (i === 0 ? new TextEncoder().encode('[') : spaces)));
    expect(result).toEqual({
      trajectories: [],
      errors: [
        {
          file: 'huge.json',
          message: 'huge.json: too large to read as one JSON document (over 512 MiB of text, the most a string can hold): write it as JSON Lines, one trajectory per line, which are read at any size',
        },
      ],
    });
  }, 120_000);

  it('every bad-corpus file gives the same errors and trajectories streamed as read whole (text files also in 7-byte chunks)', async () => {
    for (const name of readdirSync(BAD).filter((n) => n !== 'expected.json')) {
      const bytes = new Uint8Array(readFileSync(path.join(BAD, name)));
      const whole = parseTrajectoryBytes(name, bytes);
      const summary = (result: typeof whole) => ({ name, errors: result.errors, ids: result.trajectories.map((t) => t.id) });
      // 64 KiB: the chunks Node's file streams and Chromium's Blob.stream() give.
      expect(summary(await parseTrajectoryStream(name, chunked(bytes, 1 << 16)))).toEqual(summary(whole));
      // Binary checks look at a chunk at a time: in tiny chunks an early invalid byte is found before a later NUL.
      if (whole.errors.some((e) => e.message.includes('binary file'))) continue;
      expect(summary(await parseTrajectoryStream(name, chunked(bytes, 7)))).toEqual(summary(whole));
    }
  });
});
