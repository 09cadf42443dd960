/**
 * The demo's own seeded random numbers: every draw of the environment, the scripted agent, the
 * samplers and the weight initialisation goes through one of these, so a seed fixes a whole run.
 */

/** A uniform generator on [0, 1). */
export type Uniform = () => number;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter): 128-bit state, 32-bit integer arithmetic only,
 * so the stream is identical in every JavaScript engine. The seed is spread over the state by a
 * splitmix32 pass and the first outputs are discarded, so nearby seeds give unrelated streams.
 */
export function seededUniform(seed: number): Uniform {
  let mix = seed >>> 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let counter = splitmix32();
  const next = (): number => {
    const t = (((a + b) >>> 0) + counter) >>> 0;
    counter = (counter + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let warmUp = 0; warmUp < 12; warmUp++) next();
  return next;
}

/** A seed for an independent sub-stream, derived from a parent seed and a label (FNV-1a of the label). */
export function deriveSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let index = 0; index < label.length; index++) {
    hash ^= label.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
export function sampleIndex(weights: ArrayLike<number>, uniform: Uniform): number {
  let total = 0;
  for (let index = 0; index < weights.length; index++) total += weights[index];
  if (!(total > 0)) throw new Error('sampleIndex: the weights must be non-negative with a positive sum');
  let threshold = uniform() * total;
  for (let index = 0; index < weights.length; index++) {
    threshold -= weights[index];
    if (threshold < 0) return index;
  }
  // Rounding left a sliver past the last positive weight: that weight is the one drawn.
  for (let index = weights.length - 1; index >= 0; index--) if (weights[index] > 0) return index;
  return weights.length - 1;
}

/** Standard normal draws (Box–Muller) from a uniform generator. */
export function normalFrom(uniform: Uniform): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
