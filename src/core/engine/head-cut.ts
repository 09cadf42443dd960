/**
 * Where the LM head can be made to compute only the scored rows (reduction.ts cuts it there): the
 * head's product reads the rows of the final hidden states, and everything from there to `logits`
 * acts on each row alone. The common heads, as the Hugging Face exporters and quantizers write them:
 *
 *  - fp32 / fp16: `MatMul(h, W)` or `MatMul(h, Transpose(E))` (tied embeddings), `Gemm(h, E, transB=1)`
 *    with a Reshape back to [1, S, V], Casts on the way (fp16 graphs with float32 logits);
 *  - q4 (`MatMulNBits`, com.microsoft);
 *  - q8 (quantize_dynamic): `DynamicQuantizeLinear(h)` → `MatMulInteger` → `Cast` → `Mul(·, a_scale · b_scale)`.
 *    Its quantizer picks one scale over all the rows it sees, so it is cut only where the graph's
 *    quantizers are made per-row (row-quantization.ts): then the scored rows' figures are the same
 *    whichever other rows are computed.
 */
import type { NodeSummary } from './graph-edit';

/**
 * The cut: `rowsReader` reads `rowsInput` ([1, S, d] or [S, d]: rows on axis −2) as its first
 * input and gets the scored rows instead; `matMul` is the head's product (the reader itself, or
 * the MatMulInteger after a q8 head's quantizer); `reshape`, when the product's output passes
 * through one on its way to `logits`, rebuilds [1, S, V] from the input's shape — it gets
 * [1, −1, V] instead.
 */
export interface HeadCut {
  matMul: NodeSummary;
  rowsReader: NodeSummary;
  rowsInput: string;
  reshape: NodeSummary | null;
}

/** Why there is no cut, when headCutSearch finds none. */
export type HeadCutSearch = { cut: HeadCut; reason: null } | { cut: null; reason: string };

const MAX_HOPS = 8;
const isStandard = (node: NodeSummary) => node.domain === '' || node.domain === 'ai.onnx';
const describe = (node: NodeSummary) => `${node.opType} "${node.outputs[0] ?? ''}"`;

/**
 * Walks up from `logits` through per-row nodes (Cast, Identity, at most one Reshape, Mul / Add / Div
 * by a constant or by a q8 head's scale) to the head's product. `rowQuantized`: indices of the
 * DynamicQuantizeLinear nodes that will be made per-row; a q8 head is cut only through one of them.
 */
export function headCutSearch(
  nodes: readonly NodeSummary[],
  initializerNames: ReadonlySet<string>,
  logitsName = 'logits',
  rowQuantized: ReadonlySet<number> = new Set(),
): HeadCutSearch {
  const producer = new Map<string, NodeSummary>();
  const consumers = new Map<string, number>();
  for (const node of nodes) {
    for (const output of node.outputs) producer.set(output, node);
    for (const input of node.inputs) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  }
  const isConstant = (name: string) => initializerNames.has(name) || producer.get(name)?.opType === 'Constant';
  /** The quantizer whose scale `name` is (Mul(scale, weight scale) as quantize_dynamic writes it), or null. */
  const quantizerOfScale = (name: string): NodeSummary | null => {
    const mul = producer.get(name);
    if (!mul || !isStandard(mul) || mul.opType !== 'Mul' || (consumers.get(name) ?? 0) !== 1) return null;
    for (const [scale, other] of [mul.inputs, [...mul.inputs].reverse()]) {
      const quantizer = producer.get(scale);
      if (quantizer?.opType === 'DynamicQuantizeLinear' && quantizer.outputs[1] === scale && isConstant(other)) return quantizer;
    }
    return null;
  };
  const none = (reason: string): HeadCutSearch => ({ cut: null, reason });

  let node = producer.get(logitsName);
  if (!node) return none(`no node writes "${logitsName}"`);
  let reshape: NodeSummary | null = null;
  let scaleQuantizer: NodeSummary | null = null;
  for (let hops = 0; hops < MAX_HOPS; hops++) {
    const standard = isStandard(node);
    const isProduct =
      (standard && node.opType === 'MatMul') ||
      (standard && node.opType === 'Gemm' && !node.intAttributes.transA) ||
      (node.domain === 'com.microsoft' && node.opType === 'MatMulNBits');
    if (isProduct) {
      if (scaleQuantizer) return none(`${describe(node)} is scaled by a quantizer's scale`);
      const rowsInput = node.inputs[0];
      if (!rowsInput || initializerNames.has(rowsInput)) return none(`the first input of ${describe(node)} is a weight`);
      return { cut: { matMul: node, rowsReader: node, rowsInput, reshape }, reason: null };
    }
    if (standard && node.opType === 'MatMulInteger') return matMulIntegerCut(node, scaleQuantizer);

    let next: string | undefined;
    if (standard && (node.opType === 'Cast' || node.opType === 'Identity')) next = node.inputs[0];
    else if (standard && node.opType === 'Reshape' && reshape === null) {
      reshape = node;
      next = node.inputs[0];
    } else if (standard && (node.opType === 'Mul' || node.opType === 'Add' || node.opType === 'Div') && node.inputs.length === 2) {
      const [first, second] = node.inputs;
      if (isConstant(second)) next = first;
      else if (isConstant(first) && node.opType !== 'Div') next = second;
      else if (node.opType === 'Mul' && scaleQuantizer === null) {
        const scaleSide = [second, first].find((name) => quantizerOfScale(name) !== null);
        if (scaleSide !== undefined) {
          scaleQuantizer = quantizerOfScale(scaleSide);
          next = scaleSide === second ? first : second;
        }
      }
      if (next === undefined) return none(`the head search stops at ${describe(node)}: neither input is a constant or a quantizer's scale`);
    } else {
      return none(`the head search stops at ${describe(node)}`);
    }
    if (!next || (consumers.get(next) ?? 0) !== 1) return none(`"${next ?? ''}" before ${describe(node)} is read elsewhere too`);
    const above = producer.get(next);
    if (!above) return none(`"${next}" is a graph input, not the head's output`);
    node = above;
  }
  return none(`no matrix product within ${MAX_HOPS} nodes of "${logitsName}"`);

  function matMulIntegerCut(matMul: NodeSummary, scaled: NodeSummary | null): HeadCutSearch {
    const quantizer = producer.get(matMul.inputs[0] ?? '');
    if (!quantizer || quantizer.opType !== 'DynamicQuantizeLinear' || quantizer.outputs[0] !== matMul.inputs[0]) {
      return none(`the first input of ${describe(matMul)} does not come from DynamicQuantizeLinear`);
    }
    if (scaled !== quantizer) return none(`${describe(matMul)}'s result is not scaled by its own quantizer's scale`);
    if (!rowQuantized.has(quantizer.index)) {
      return none(`${describe(quantizer)} quantizes over all rows at once: cutting the rows would change the scale`);
    }
    const rowsInput = quantizer.inputs[0];
    if (!rowsInput || initializerNames.has(rowsInput)) return none(`the input of ${describe(quantizer)} is a weight`);
    const [quantized, , zeroPoint] = quantizer.outputs;
    if ((consumers.get(quantized) ?? 0) !== 1 || (zeroPoint && (consumers.get(zeroPoint) ?? 0) > 1) || (consumers.get(rowsInput) ?? 0) !== 1) {
      return none(`${describe(quantizer)} feeds other nodes than the head`);
    }
    return { cut: { matMul, rowsReader: quantizer, rowsInput, reshape }, reason: null };
  }
}

/** The cut of `headCutSearch`, or null. */
export function headCutOf(
  nodes: readonly NodeSummary[],
  initializerNames: ReadonlySet<string>,
  logitsName = 'logits',
  rowQuantized: ReadonlySet<number> = new Set(),
): HeadCut | null {
  return headCutSearch(nodes, initializerNames, logitsName, rowQuantized).cut;
}
