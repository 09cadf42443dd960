/**
 * Bytes → text for every reader of files (the ingestion worker, `inspect`, `score`, `eval`): the
 * one check that refuses binary and non-UTF-8 input with the same words everywhere, a stream
 * decoded chunk by chunk (a file of any size, never one string), and a splitter into lines.
 */
/** An input error as ingest.ts' FileError has it (declared here: ingest.ts imports this module). */
export interface InputError {
  file: string;
  message: string;
}

/**
 * The longest string a JavaScript engine builds (V8, in Node and Chromium: 2^29 − 24 UTF-16
 * units). A JSON document must be one string to be parsed; JSON Lines never are.
 */
export const MAX_TEXT_CHARS = 2 ** 29 - 24;

/** Byte offset of the first invalid UTF-8 sequence, or -1 when all of `bytes` is valid UTF-8. */
export function findInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2;
    else if (b === 0xed) [need, hi] = [2, 0x9f]; // no UTF-16 surrogates
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    else return i;
    if (i + need >= n) return i; // truncated sequence
    const second = bytes[i + 1];
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Why these bytes are not UTF-8 text (a UTF-16 mark, a NUL byte), or undefined. Checks the bytes from `baseOffset` on. */
export function binaryReason(bytes: Uint8Array, baseOffset = 0): string | undefined {
  if (baseOffset === 0 && bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return 'a UTF-16 byte-order mark';
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) return `a NUL byte at byte ${baseOffset + nul}`;
  return undefined;
}

export function binaryError(fileName: string, reason: string): InputError {
  return { file: fileName, message: `${fileName}: binary file (${reason}): expected JSON or JSON Lines text in UTF-8` };
}

/** A JSON document longer than a string can be. */
export function tooLargeError(fileName: string): InputError {
  return {
    file: fileName,
    message: `${fileName}: too large to read as one JSON document (over ${Math.round(MAX_TEXT_CHARS / 2 ** 20)} MiB of text, the most a string can hold): write it as JSON Lines, one trajectory per line, which are read at any size`,
  };
}

export interface TextStreamOptions {
  /** Called after each chunk with the number of bytes read so far. */
  onProgress?(bytesRead: number): void;
  signal?: AbortSignal;
}

/**
 * Decodes a byte stream as UTF-8, handing each chunk's text to `onText` (which returns false to
 * stop early: the stream is then cancelled). Stops at the first binary or non-UTF-8 chunk with
 * that error. Nothing is held: memory stays that of one chunk.
 */
export async function readTextStream(
  fileName: string,
  stream: ReadableStream<Uint8Array>,
  onText: (text: string) => boolean | void,
  options: TextStreamOptions = {},
): Promise<{ bytesRead: number; error: InputError | null; stopped: boolean }> {
  const reader = stream.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytesRead = 0;
  const end = async (error: InputError | null, stopped = false) => {
    if (error || stopped) await reader.cancel().catch(() => undefined);
    return { bytesRead, error, stopped };
  };
  for (;;) {
    options.signal?.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    const reason = binaryReason(value, bytesRead);
    if (reason) return end(binaryError(fileName, reason));
    let text: string;
    try {
      text = decoder.decode(value, { stream: true });
    } catch {
      return end(binaryError(fileName, `invalid UTF-8 at byte ${bytesRead + Math.max(0, findInvalidUtf8(value))}`));
    }
    bytesRead += value.length;
    options.onProgress?.(bytesRead);
    if (onText(text) === false) return end(null, true);
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    return end(binaryError(fileName, `invalid UTF-8 at byte ${Math.max(0, bytesRead - 1)}`));
  }
  if (tail !== '') onText(tail);
  return end(null);
}

/**
 * Splits text arriving in chunks into lines (without their `\n` or a `\r` before it; the first
 * line without a byte-order mark), holding only the unfinished last line.
 */
export class LineSplitter {
  private pending: string[] = [];
  private lineNumber = 0;

  constructor(private readonly onLine: (line: string, lineNumber: number) => void) {}

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      if (newline === -1) {
        if (start < chunk.length) this.pending.push(chunk.slice(start));
        return;
      }
      let line = chunk.slice(start, newline);
      if (this.pending.length > 0) {
        line = this.pending.join('') + line;
        this.pending = [];
      }
      this.emit(line);
      start = newline + 1;
    }
  }

  /** The last line, when the text does not end in a line break. */
  end(): void {
    if (this.pending.length === 0) return;
    const line = this.pending.join('');
    this.pending = [];
    this.emit(line);
  }

  private emit(rawLine: string): void {
    this.lineNumber += 1;
    let line = this.lineNumber === 1 && rawLine.charCodeAt(0) === 0xfeff ? rawLine.slice(1) : rawLine;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.onLine(line, this.lineNumber);
  }
}
