/**
 * Byte streams between a synchronous decoder (fflate calls back with each decompressed chunk as
 * the compressed bytes are pushed) and an asynchronous reader of one archive entry
 * (ingest.ts' parseTrajectoryStream): the decoder enqueues, and waits on `ready()` before it
 * decodes more, so an entry's bytes are held at most once and only while the reader lags.
 */

/** Bytes queued before the decoder waits for the entry's reader. */
const QUEUE_BYTES = 1 << 20;

export class PushedStream {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private wake: (() => void) | null = null;
  private done = false;

  constructor() {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.resume(),
        cancel: () => {
          // The reader stopped early (a binary entry, a JSON document too large): the rest is dropped.
          this.done = true;
          this.resume();
        },
      },
      { highWaterMark: QUEUE_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  /** True once the reader cancelled or the stream was closed: what is pushed is dropped. */
  get closed(): boolean {
    return this.done;
  }

  push(chunk: Uint8Array): void {
    if (!this.done && chunk.length > 0) this.controller.enqueue(chunk);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.controller.close();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.controller.error(error);
  }

  /** Resolves once the reader has taken enough of the queue (or stopped reading). */
  async ready(): Promise<void> {
    while (!this.done && (this.controller.desiredSize ?? 1) <= 0) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** The first `count` bytes of a stream (fewer when it is shorter), and a stream that still yields all of it. */
export async function peekStream(stream: ReadableStream<Uint8Array>, count: number): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const taken: Uint8Array[] = [];
  let length = 0;
  let finished = false;
  while (length < count) {
    const { done, value } = await reader.read();
    if (done) {
      finished = true;
      break;
    }
    taken.push(value);
    length += value.length;
  }
  const head = new Uint8Array(Math.min(count, length));
  let at = 0;
  for (const chunk of taken) {
    if (at >= head.length) break;
    const part = chunk.subarray(0, head.length - at);
    head.set(part, at);
    at += part.length;
  }
  const replay = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = taken.shift();
      if (next) {
        controller.enqueue(next);
        return;
      }
      if (finished) {
        controller.close();
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { head, stream: replay };
}

/**
 * Calls `push(chunk, final)` for each chunk of the stream in slices, the very last marked final
 * (fflate's decoders detect a stream that stops short only then), awaiting `between()` after each.
 */
export async function feedStream(
  stream: ReadableStream<Uint8Array>,
  push: (slice: Uint8Array, final: boolean) => void,
  between: () => Promise<void>,
  sliceBytes = 64 * 1024,
): Promise<void> {
  const reader = stream.getReader();
  let held: Uint8Array | null = null;
  const pushAll = async (chunk: Uint8Array, final: boolean) => {
    if (chunk.length === 0) {
      if (final) push(chunk, true);
      return;
    }
    for (let i = 0; i < chunk.length; i += sliceBytes) {
      const end = Math.min(chunk.length, i + sliceBytes);
      push(chunk.subarray(i, end), final && end === chunk.length);
      await between();
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (held) await pushAll(held, false);
      held = value;
    }
    await pushAll(held ?? new Uint8Array(0), true);
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
}
