/**
 * Bounded decompression of untrusted input (bundles, snippet links). The compressed bytes go into
 * fflate's streaming decoder in small slices and the output is counted as it comes: a zip bomb is
 * stopped at the limit having produced at most one slice's worth more (deflate expands a byte to
 * at most ~1,032), never the whole expansion. gzip's trailer (CRC-32 and length) is checked too,
 * which fflate leaves out, so a truncated or damaged file is refused rather than half read.
 */
import { Gunzip, Inflate } from 'fflate';

/** Compressed bytes handed to the decoder at a time: bounds one step's output to ~17 MB. */
const INPUT_SLICE_BYTES = 16 * 1024;

export const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** The input or its expansion is bigger than allowed. */
export class SizeLimitError extends Error {
  constructor(
    readonly what: 'compressed' | 'decompressed',
    readonly limitBytes: number,
  ) {
    super(`is bigger than the ${formatLimit(limitBytes)} allowed ${what === 'compressed' ? 'for a compressed file' : 'once decompressed'}`);
    this.name = 'SizeLimitError';
  }
}

/** The compressed data is damaged, truncated or not of the expected kind. */
export class CorruptDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptDataError';
  }
}

export function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (gzip's) carried across chunks: start with `crc32(chunk)`, continue with `crc32(next, previous)`. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Chunks of a byte source in order (a Blob's stream, or one array). */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface DecompressLimits {
  /** Refuse more compressed input than this. */
  maxCompressedBytes: number;
  /** Stop and refuse once the output passes this. */
  maxDecompressedBytes: number;
}

/** Pushes every chunk to the decoder in slices, the very last one marked final; returns the bytes read. */
async function feed(
  source: ByteChunks,
  push: (slice: Uint8Array, final: boolean) => void,
  maxCompressedBytes: number,
  onInput?: (chunk: Uint8Array) => void,
): Promise<number> {
  let pending: Uint8Array | null = null;
  let total = 0;
  const pushChunk = (chunk: Uint8Array, final: boolean) => {
    if (chunk.length === 0 && final) return push(chunk, true);
    for (let i = 0; i < chunk.length; i += INPUT_SLICE_BYTES) {
      const end = Math.min(chunk.length, i + INPUT_SLICE_BYTES);
      push(chunk.subarray(i, end), final && end === chunk.length);
    }
  };
  // One chunk is held back so that the last slice of the input can be marked final.
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxCompressedBytes) throw new SizeLimitError('compressed', maxCompressedBytes);
    onInput?.(chunk);
    if (pending) pushChunk(pending, false);
    pending = chunk;
  }
  pushChunk(pending ?? new Uint8Array(0), true);
  return total;
}

function decoderError(error: unknown): never {
  if (error instanceof SizeLimitError || error instanceof CorruptDataError) throw error;
  const reason = error instanceof Error ? error.message : String(error);
  throw new CorruptDataError(`is not valid compressed data (${reason}); the file may be truncated or damaged`);
}

/**
 * Decompresses one gzip member, refusing input over `maxCompressedBytes`, output over
 * `maxDecompressedBytes`, a second member, and a trailer whose CRC-32 or length does not match.
 */
export async function gunzipBounded(source: ByteChunks, limits: DecompressLimits): Promise<Uint8Array[]> {
  const output: Uint8Array[] = [];
  let produced = 0;
  let crc = 0;
  const trailer = new Uint8Array(8);
  let seen = 0;
  const gunzip = new Gunzip((chunk) => {
    produced += chunk.length;
    if (produced > limits.maxDecompressedBytes) throw new SizeLimitError('decompressed', limits.maxDecompressedBytes);
    crc = crc32(chunk, crc);
    output.push(chunk);
  });
  gunzip.onmember = () => {
    throw new CorruptDataError('holds more than one gzip member; a bundle is a single gzip stream');
  };
  // The last 8 input bytes are gzip's trailer: CRC-32 and length (mod 2^32) of the output.
  const keepTail = (chunk: Uint8Array) => {
    seen += chunk.length;
    if (chunk.length >= 8) {
      trailer.set(chunk.subarray(chunk.length - 8));
    } else {
      trailer.copyWithin(0, chunk.length);
      trailer.set(chunk, 8 - chunk.length);
    }
  };
  let sawHeader = false;
  try {
    await feed(
      source,
      (slice, final) => {
        if (!sawHeader && slice.length >= 2) {
          if (!isGzip(slice)) throw new CorruptDataError('is not gzip data (it does not start with the bytes 1f 8b)');
          sawHeader = true;
        }
        gunzip.push(slice, final);
      },
      limits.maxCompressedBytes,
      keepTail,
    );
  } catch (error) {
    decoderError(error);
  }
  if (seen < 18) throw new CorruptDataError('is too short to be gzip data; the file may be truncated');
  const view = new DataView(trailer.buffer);
  const expectedCrc = view.getUint32(0, true);
  const expectedLength = view.getUint32(4, true);
  if (expectedLength !== produced % 2 ** 32 || expectedCrc !== crc) {
    throw new CorruptDataError('fails its gzip checksum (CRC-32 or length differ); the file is truncated or damaged');
  }
  return output;
}

/** Decompresses raw deflate data (snippet links), refusing output over `maxDecompressedBytes`. */
export function inflateBounded(data: Uint8Array, maxDecompressedBytes: number): Uint8Array {
  const output: Uint8Array[] = [];
  let produced = 0;
  const inflate = new Inflate((chunk) => {
    produced += chunk.length;
    if (produced > maxDecompressedBytes) throw new SizeLimitError('decompressed', maxDecompressedBytes);
    output.push(chunk);
  });
  try {
    if (data.length === 0) throw new CorruptDataError('is empty');
    // Marking the last slice final makes the decoder throw on a deflate stream that stops short.
    for (let i = 0; i < data.length; i += INPUT_SLICE_BYTES) {
      const end = Math.min(data.length, i + INPUT_SLICE_BYTES);
      inflate.push(data.subarray(i, end), end === data.length);
    }
  } catch (error) {
    decoderError(error);
  }
  return concatBytes(output, produced);
}

export function concatBytes(chunks: readonly Uint8Array[], length = chunks.reduce((n, c) => n + c.length, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
