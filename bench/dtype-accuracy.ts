/**
 * Per-dtype accuracy on the real-format pairs (../shared/models/realformat; issue 15, item 2): each
 * dtype's engine figures against fp32's — mean and max |Δ log p| over every position of the three
 * plain-rendered trajectories, both models — and the Pearson correlation of step advantages
 * (β = 1, each action message's mean token advantage, the default token aggregation) against
 * fp32's. Also the size of the chunk effect of q8 as exported (the graph left quantizing over each
 * forward pass): the same file scored in chunks of 37 and of 110 tokens. fp16 is this repository's
 * conversion of the fp32 file (tools/onnx-variants.ts), written to a temp folder.
 *
 *   npx tsx bench/dtype-accuracy.ts            # a table (BENCHMARKS.md, docs/score.md)
 *   npx tsx bench/dtype-accuracy.ts --json
 *   npx tsx bench/dtype-accuracy.ts --only fp16   # these dtypes' rows only (fp32 is always scored: the baseline)
 */
import { aggregateTokens } from '../src/core/advantage/aggregate';
import { expectedLines, realformatEngine, writeVariantFolders, type RealformatArch } from '../tools/realformat';

type Dtype = 'fp32' | 'fp16' | 'q8' | 'q8-as-exported' | 'q4';
const DTYPES: Record<RealformatArch, Dtype[]> = { qwen3: ['fp32', 'fp16', 'q8', 'q8-as-exported', 'q4'], llama3: ['fp32', 'fp16', 'q4'] };

interface Scored {
  /** Per model side, per trajectory: log-probs of positions 1 … T − 1. */
  logprobs: Record<'policy' | 'reference', Float32Array[]>;
}

async function scoreAll(arch: RealformatArch, dtype: Dtype, variantRoot: string, chunkSize?: number): Promise<Scored> {
  const lines = expectedLines(arch).filter((line) => line.render === 'plain');
  const result: Scored = { logprobs: { policy: [], reference: [] } };
  for (const side of ['policy', 'reference'] as const) {
    const engine = await realformatEngine(`${arch}-${side}`, dtype === 'q8-as-exported' ? 'q8' : dtype, {
      ...(dtype === 'fp16' ? { root: variantRoot } : {}),
      ...(dtype === 'q8-as-exported' ? { reduction: 'separate' as const } : {}),
      ...(chunkSize !== undefined ? { chunkSize } : {}),
    });
    try {
      for (const line of lines) {
        const [figures] = await engine.score(line.tokenIds, [{ start: 1, end: line.tokenIds.length }]);
        result.logprobs[side].push(figures.logprob);
      }
    } finally {
      await engine.dispose();
    }
  }
  return result;
}

function stepAdvantages(arch: RealformatArch, scored: Scored): number[] {
  const lines = expectedLines(arch).filter((line) => line.render === 'plain');
  const steps: number[] = [];
  lines.forEach((line, index) => {
    for (const message of line.actionMessages) {
      const [start, end] = line.messageSpans![message];
      const from = Math.max(1, start);
      if (end <= from) continue;
      const advantages = Array.from({ length: end - from }, (_, offset) => scored.logprobs.policy[index][from - 1 + offset] - scored.logprobs.reference[index][from - 1 + offset]);
      steps.push(aggregateTokens(advantages, 'mean'));
    }
  });
  return steps;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const ma = mean(a);
  const mb = mean(b);
  let covariance = 0;
  let va = 0;
  let vb = 0;
  a.forEach((value, index) => {
    covariance += (value - ma) * (b[index] - mb);
    va += (value - ma) ** 2;
    vb += (b[index] - mb) ** 2;
  });
  return covariance / Math.sqrt(va * vb);
}

function differences(a: Scored, b: Scored): { mean: number; max: number; positions: number } {
  let sum = 0;
  let max = 0;
  let positions = 0;
  for (const side of ['policy', 'reference'] as const) {
    a.logprobs[side].forEach((values, index) => {
      values.forEach((value, position) => {
        const difference = Math.abs(value - b.logprobs[side][index][position]);
        sum += difference;
        max = Math.max(max, difference);
        positions++;
      });
    });
  }
  return { mean: sum / positions, max, positions };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt === -1 ? null : new Set((process.argv[onlyAt + 1] ?? '').split(','));
  const known = new Set(Object.values(DTYPES).flat());
  const unknown = [...(only ?? [])].filter((dtype) => !known.has(dtype as Dtype));
  if (unknown.length > 0) throw new Error(`--only: unknown dtype '${unknown[0]}' (known: ${[...known].join(', ')})`);
  const variants = await writeVariantFolders((['qwen3', 'llama3'] as const).flatMap((arch) => (['policy', 'reference'] as const).map((side) => ({ arch, side }))));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const arch of ['qwen3', 'llama3'] as const) {
      const fp32 = await scoreAll(arch, 'fp32', variants.root);
      const fp32Steps = stepAdvantages(arch, fp32);
      for (const dtype of DTYPES[arch].filter((candidate) => only === null || only.has(candidate))) {
        const scored = dtype === 'fp32' ? fp32 : await scoreAll(arch, dtype, variants.root);
        const { mean, max, positions } = differences(scored, fp32);
        const row: Record<string, unknown> = { arch, dtype, positions, steps: fp32Steps.length, meanAbsDeltaLogp: mean, maxAbsDeltaLogp: max, stepAdvantagePearson: pearson(stepAdvantages(arch, scored), fp32Steps) };
        // Does a token's figure depend on the chunk? Chunks of 37 against the default (512 tokens; 110 for q8 as exported, read back).
        const rechunked = await scoreAll(arch, dtype, variants.root, 37);
        row.chunkEffectMax = differences(rechunked, scored).max;
        rows.push(row);
        if (!json) console.error(`${arch} ${dtype}: done`);
      }
    }
  } finally {
    await variants.remove();
  }
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log('| pair | dtype | mean abs Δ log p vs fp32 | max abs Δ log p vs fp32 | Pearson r of step advantages vs fp32 | max abs Δ log p, chunks of 37 vs default |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    const e = (value: unknown) => (value as number).toExponential(2);
    console.log(`| ${row.arch} | ${row.dtype} | ${e(row.meanAbsDeltaLogp)} | ${e(row.maxAbsDeltaLogp)} | ${(row.stepAdvantagePearson as number).toFixed(5)} | ${e(row.chunkEffectMax)} |`);
  }
  console.log(`\n${rows[0]?.positions} positions (qwen3), ${rows.find((row) => row.arch === 'llama3')?.positions} (llama3); ${rows[0]?.steps} / ${rows.find((row) => row.arch === 'llama3')?.steps} steps.`);
}

await main();
