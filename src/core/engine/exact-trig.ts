/**
 * Cos and Sin made of exact arithmetic, for WebGPU. WGSL only promises cos/sin within 2⁻¹¹ on
 * [−π, π] (nothing outside it), and Chromium's SwiftShader adapter is off by up to 1.9e-4 there:
 * the rotary embedding of Qwen / Llama / Gemma graphs (Cos and Sin of position × frequency) then
 * moves log-probs by about 2e-4. Each float32 Cos / Sin node is replaced by a Cody–Waite reduction
 * to [−π/4, π/4] (k = round(x · 2/π); the products k · C1 are exact) and Taylor polynomials
 * (error below 1e-9 there), the quadrant chosen by multiplying with 0 / 1, which is exact.
 * Float32 arithmetic is exact to rounding on every adapter, so the result is as good as the CPU's.
 */
import { GraphFragment, type NodeSummary } from './graph-edit';

const NAME_PREFIX = 'pa_trig/';
/** π/2 split in three: C1 has 8 significant bits, so k · C1 is exact for |k| < 2¹⁶ (angles up to about 10⁵). */
const HALF_PI_1 = 1.5703125;
const HALF_PI_2 = Math.fround(Math.PI / 2 - HALF_PI_1);
const HALF_PI_3 = Math.PI / 2 - HALF_PI_1 - HALF_PI_2;
/** Taylor coefficients of sin r / r and cos r in r² (|r| ≤ π/4: the next terms are below 1e-9). */
const SIN_COEFFICIENTS = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880];
const COS_COEFFICIENTS = [1, -1 / 2, 1 / 24, -1 / 720, 1 / 40320, -1 / 3628800];

export interface ExactTrigEdit {
  /** The Cos and Sin nodes replaced. */
  dropNodes: Set<number>;
  /** A partial-graph ModelProto to append (see reduction.ts buildFusedReductionFragment). */
  fragment: Uint8Array;
}

const isTrig = (node: NodeSummary) => (node.domain === '' || node.domain === 'ai.onnx') && (node.opType === 'Cos' || node.opType === 'Sin');

/** The graph's standard Cos and Sin nodes rewritten in exact arithmetic; null when it has none. */
export function exactTrigEdit(nodes: readonly NodeSummary[]): ExactTrigEdit | null {
  const trig = nodes.filter(isTrig);
  if (trig.length === 0) return null;
  const fragment = new GraphFragment(NAME_PREFIX);
  const b = fragment.builder;
  for (const node of trig) {
    // Cos and Sin of the same angles share their input.
    fragment.reads(node.inputs[0]);
    fragment.writes(node.outputs[0]);
  }
  const c = (value: number) => b.floatScalar(value);
  const mul = (x: string, y: string) => b.node('Mul', [x, y], {}, { name: 'mul' });
  const add = (x: string, y: string) => b.node('Add', [x, y], {}, { name: 'add' });
  const sub = (x: string, y: string) => b.node('Sub', [x, y], {}, { name: 'sub' });
  const floor = (x: string) => b.node('Floor', [x], {}, { name: 'floor' });
  /** x − m · floor(x / m) for m = 2 or 4 (integers held exactly in float32). */
  const modulo = (x: string, m: number) => sub(x, mul(c(m), floor(mul(x, c(1 / m)))));
  const horner = (r2: string, coefficients: readonly number[]) => {
    let value = c(coefficients[coefficients.length - 1]);
    for (let i = coefficients.length - 2; i >= 0; i--) value = add(c(coefficients[i]), mul(r2, value));
    return value;
  };
  for (const node of trig) {
    const x = node.inputs[0];
    const k = floor(add(mul(x, c(2 / Math.PI)), c(0.5)));
    const r = sub(sub(sub(x, mul(k, c(HALF_PI_1))), mul(k, c(HALF_PI_2))), mul(k, c(HALF_PI_3)));
    const r2 = mul(r, r);
    const sinR = mul(r, horner(r2, SIN_COEFFICIENTS));
    const cosR = horner(r2, COS_COEFFICIENTS);
    // Quadrant q = k mod 4: cos x = (cos r, −sin r, −cos r, sin r)[q], sin x = (sin r, cos r, −sin r, −cos r)[q].
    const quadrant = modulo(k, 4);
    const odd = modulo(quadrant, 2);
    const even = sub(c(1), odd);
    const pick = (whenEven: string, whenOdd: string) => add(mul(whenEven, even), mul(whenOdd, odd));
    const signOf = (q: string) => sub(c(1), mul(c(2), floor(mul(q, c(0.5)))));
    if (node.opType === 'Cos') b.node('Mul', [signOf(modulo(add(quadrant, c(1)), 4)), pick(cosR, sinR)], {}, { outputs: [node.outputs[0]] });
    else b.node('Mul', [signOf(quadrant), pick(sinR, cosR)], {}, { outputs: [node.outputs[0]] });
  }
  return { dropNodes: new Set(trig.map((node) => node.index)), fragment: fragment.encode() };
}
