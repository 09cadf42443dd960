/**
 * The append-only KV cache keeps a tensor's positions in the layout of a tensor of that length
 * ([1, heads, positions, head_dim]): after any sequence of appends, cuts and growths, its past
 * views equal the concatenation of the rows appended, computed here independently.
 */
import { describe, expect, it } from 'vitest';
import { AppendOnlyCache, PresentTensorCache, hasNewCacheRows, type CacheLink } from '../../../../src/core/engine/kv-cache';
import { newCacheRowsName } from '../../../../src/core/engine/reduction';
import type { OrtTensor, OrtTensorData, OrtTensorType } from '../../../../src/core/engine/ort-types';

class CpuTensor implements OrtTensor {
  readonly location = 'cpu' as const;
  disposed = false;
  constructor(
    readonly type: OrtTensorType,
    readonly data: OrtTensorData,
    readonly dims: readonly number[],
  ) {
    const size = dims.reduce((product, dim) => product * dim, 1);
    if (data.length !== size) throw new Error(`data of ${data.length} elements for dims [${dims.join(', ')}]`);
  }
  dispose(): void {
    this.disposed = true;
  }
}

const HEADS = 3;
const HEAD_DIM = 2;
const links: CacheLink[] = ['key', 'value'].map((kind) => ({
  past: { name: `past_key_values.0.${kind}`, isTensor: true, type: 'float32', shape: ['batch_size', HEADS, 'past_sequence_length', HEAD_DIM] },
  present: `present.0.${kind}`,
  sequenceAxis: 2,
}));

/** Rows of `count` positions whose values name (link, head, position, d) — every element distinct. */
function rowsFor(link: number, from: number, count: number): Float32Array {
  const data = new Float32Array(HEADS * count * HEAD_DIM);
  for (let head = 0; head < HEADS; head++)
    for (let position = 0; position < count; position++)
      for (let d = 0; d < HEAD_DIM; d++) data[(head * count + position) * HEAD_DIM + d] = link * 1e6 + head * 1e4 + (from + position) * 10 + d;
  return data;
}

/** The independent expectation: positions [0, length) of every head, head after head. */
function expectedPast(link: number, length: number): number[] {
  const all: number[] = [];
  for (let head = 0; head < HEADS; head++)
    for (let position = 0; position < length; position++)
      for (let d = 0; d < HEAD_DIM; d++) all.push(link * 1e6 + head * 1e4 + position * 10 + d);
  return all;
}

function outputsFor(from: number, count: number): Record<string, OrtTensor> {
  return Object.fromEntries(links.map((link, index) => [newCacheRowsName(link.present), new CpuTensor('float32', rowsFor(index, from, count), [1, HEADS, count, HEAD_DIM])]));
}

function expectPast(cache: AppendOnlyCache, length: number): void {
  const feeds = cache.feeds();
  links.forEach((link, index) => {
    expect(feeds[link.past.name].dims).toEqual([1, HEADS, length, HEAD_DIM]);
    expect(Array.from(feeds[link.past.name].data as Float32Array)).toEqual(expectedPast(index, length));
  });
}

describe('AppendOnlyCache', () => {
  it('starts with zero-length past tensors shaped from the metadata and fetches the new-rows outputs', () => {
    const cache = new AppendOnlyCache(links, CpuTensor, 16);
    expect(cache.fetchNames).toEqual(['pa_new_rows/present.0.key', 'pa_new_rows/present.0.value']);
    expectPast(cache, 0);
  });

  it('appends chunks of any length, cuts and grows past its capacity, always equal to the concatenation', async () => {
    const cache = new AppendOnlyCache(links, CpuTensor, 8);
    let length = 0;
    const append = (count: number) => {
      const outputs = outputsFor(length, count);
      const bytes = cache.advance(outputs, count);
      expect(bytes).toBe(links.length * HEADS * count * HEAD_DIM * 4);
      // The rows are released once copied in.
      expect(Object.values(outputs).every((tensor) => (tensor as CpuTensor).disposed)).toBe(true);
      length += count;
      expect(cache.length).toBe(length);
      expectPast(cache, length);
    };
    append(5);
    append(1);
    append(2); // exactly the capacity
    append(7); // grows
    expect(await cache.truncate(4)).toBe(0);
    length = 4;
    expectPast(cache, 4);
    append(3);
    cache.reserve(40);
    append(20);
    expect(await cache.truncate(0)).toBe(0);
    length = 0;
    expectPast(cache, 0);
    append(6);
  });

  it('refuses rows of the wrong length and cuts longer than it holds', async () => {
    const cache = new AppendOnlyCache(links, CpuTensor, 8);
    cache.advance(outputsFor(0, 3), 3);
    expect(() => cache.advance(outputsFor(3, 2), 4)).toThrow('new cache rows of present.0.key have 2 positions; expected 4');
    await expect(cache.truncate(5)).rejects.toThrow('cannot truncate a cache of 3 positions to 5');
  });

  it('is recognised from the session outputs', () => {
    const plain = ['logits', 'present.0.key', 'present.0.value'];
    expect(hasNewCacheRows(plain, links)).toBe(false);
    expect(hasNewCacheRows([...plain, ...links.map((link) => newCacheRowsName(link.present))], links)).toBe(true);
    expect(hasNewCacheRows(plain, [])).toBe(false);
  });
});

describe('PresentTensorCache', () => {
  it('feeds each run’s present outputs back, disposing the previous ones, and cuts by copying', async () => {
    const cache = new PresentTensorCache(links, CpuTensor);
    expect(cache.fetchNames).toEqual(['present.0.key', 'present.0.value']);
    const first = Object.fromEntries(links.map((link, index) => [link.present, new CpuTensor('float32', Float32Array.from(expectedPast(index, 5)), [1, HEADS, 5, HEAD_DIM])]));
    // Whole present tensors cross: 2 × 3 heads × 5 positions × 2 floats.
    expect(cache.advance(first, 5)).toBe(2 * HEADS * 5 * HEAD_DIM * 4);
    expect(cache.feeds()[links[0].past.name]).toBe(first[links[0].present]);
    await cache.truncate(2);
    expect((first[links[0].present] as CpuTensor).disposed).toBe(true);
    links.forEach((link, index) => {
      const past = cache.feeds()[link.past.name];
      expect(past.dims).toEqual([1, HEADS, 2, HEAD_DIM]);
      expect(Array.from(past.data as Float32Array)).toEqual(expectedPast(index, 2));
    });
    expect(cache.length).toBe(2);
  });
});
