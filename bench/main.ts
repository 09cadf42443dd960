/**
 * `npm run bench -- [--json] [--quick] [--node-only] [--only FIGURE,…] [--real-shape-size SIZE]` (`tsx bench/main.ts`): the
 * benchmark suite of BENCHMARKS.md — the scoring engine against a plain onnxruntime session (Node
 * and browser WASM), bytes read back per scored token, memory growth with trajectory length, prefix
 * reuse across a best-of-N group, achieved GFLOP/s against the CPU's peak, the same on a Llama /
 * Qwen-shape q4 model (bench/real-shape.ts), and the app's first
 * render, scrolling and parsing speed in headless Chromium. Figures are ratios measured within one
 * run. Tooling, not product: the shipped CLI has no bench command, and nothing under src/ imports
 * this folder.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LLAMA_SHAPE_PRESETS, LLAMA_SHAPE_SIZES, llamaParameterCount, type LlamaShapeSize } from '../lab/model-builder';
import { FIGURE_GROUPS, formatReport, runBenchmarks, type FigureName } from './run';

const sizeList = LLAMA_SHAPE_SIZES.map((size) => `${size} (${(llamaParameterCount(LLAMA_SHAPE_PRESETS[size]) / 1e6).toFixed(1)} M parameters)`).join(', ');

const USAGE = `usage: npm run bench -- [--json] [--quick] [--node-only] [--only FIGURE,…] [--real-shape-size SIZE]

Runs the benchmarks of BENCHMARKS.md and prints each figure with its target. Progress goes to
standard error.

options:
  --json        also print every figure as one JSON object on the last line of standard output
  --quick       small models and sizes (seconds, not minutes): checks the benchmark runs, not speed
  --node-only   leave out the browser figures (no vite build, no Chromium); they are null in --json
  --only F,…    measure only these figures (and those measured with them), e.g. --only memoryGrowth;
                figures: ${Object.keys(FIGURE_GROUPS).join(', ')}
  --real-shape-size SIZE
                the Llama / Qwen-shape q4 model of the realShape* figures: ${sizeList};
                default small (tiny with --quick). 0.5b is the issue's size: on 2 shared cores
                its four figures take well over an hour (BENCHMARKS.md)
  -h, --help    this text

exit status: 0 every figure asked for was measured (whether or not it meets its target), 1 one
failed (the others are still reported), 2 usage error.`;

export async function run(argv: string[]): Promise<number> {
  let values: { json?: boolean; quick?: boolean; 'node-only'?: boolean; only?: string; 'real-shape-size'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, 'node-only': { type: 'boolean' }, only: { type: 'string' }, 'real-shape-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const only = values.only?.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = only?.filter((name) => !(name in FIGURE_GROUPS)) ?? [];
  if (only && (only.length === 0 || unknown.length > 0)) {
    process.stderr.write(`bench: --only: unknown figure '${unknown[0] ?? ''}' (known: ${Object.keys(FIGURE_GROUPS).join(', ')})\n`);
    return 2;
  }
  const realShapeSize = values['real-shape-size'];
  if (realShapeSize !== undefined && !(LLAMA_SHAPE_SIZES as string[]).includes(realShapeSize)) {
    process.stderr.write(`bench: --real-shape-size: unknown size '${realShapeSize}' (known: ${LLAMA_SHAPE_SIZES.join(', ')})\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const report = await runBenchmarks({
    quick: values.quick === true,
    nodeOnly: values['node-only'] === true,
    ...(only ? { only: only as FigureName[] } : {}),
    ...(realShapeSize ? { realShapeSize: realShapeSize as LlamaShapeSize } : {}),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return Object.keys(report.errors).length > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
