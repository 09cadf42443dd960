/**
 * `score --engine llama.cpp` for real: the demo pair written as GGUF files, the CLI as a child
 * process on ten demo episodes (chat rendering), against `score` on the ONNX folders: the same
 * records (ids, steps, token ids) with figures within 5e-3 (llama.cpp's CPU GELU rounds through
 * fp16; test/unit/node/llama-cpp-engine.test.ts shows that is the whole gap), provenance naming
 * llama.cpp and the files, and `eval` reads the result. Usage errors exit 2 with the reason.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGpt2GgufFromFolder } from '../../../../lab/model-builder/gpt2-gguf';
import { ROOT, maxAbsDifference, runCli } from './score-helpers';

const POLICY_DIR = join(ROOT, 'public/models/demo-policy');
const REFERENCE_DIR = join(ROOT, 'public/models/demo-reference');
const COUNT = 10;

interface StepRecord {
  tokenIds: number[];
  policy: number[];
  reference: number[];
  entropy?: number[];
  topkMean?: number[];
}
type ScoreRecord = Record<string, unknown> & { id: string; steps: StepRecord[] };

let work: string;
let episodes: string;
let policyGguf: string;
let referenceGguf: string;
let local: ScoreRecord[];

const records = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line) as ScoreRecord);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-llama-cpp-'));
  episodes = join(work, 'episodes.jsonl');
  const lines = (await readFile(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8')).trim().split('\n').slice(0, COUNT);
  await writeFile(episodes, `${lines.join('\n')}\n`);
  // The policy's GGUF beside its tokenizer files (found there); the reference's alone (named by --reference-tokenizer).
  const policyFolder = join(work, 'policy');
  await mkdir(policyFolder);
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) await copyFile(join(POLICY_DIR, file), join(policyFolder, file));
  policyGguf = join(policyFolder, 'demo-policy.gguf');
  referenceGguf = join(work, 'demo-reference.gguf');
  await writeGpt2GgufFromFolder(POLICY_DIR, policyGguf);
  await writeGpt2GgufFromFolder(REFERENCE_DIR, referenceGguf);
  const out = join(work, 'onnx.jsonl');
  const result = await runCli(['score', '--policy', POLICY_DIR, '--reference', REFERENCE_DIR, '--render', 'chat', '--out', out, '--quiet', episodes]);
  expect(result.status, result.stderr).toBe(0);
  local = records(await readFile(out, 'utf8'));
}, 180_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const llamaScore = (out: string, extra: string[] = []) =>
  runCli(['score', '--engine', 'llama.cpp', '--policy', policyGguf, '--reference', referenceGguf, '--reference-tokenizer', REFERENCE_DIR, '--gpu', 'off', '--threads', '1', '--render', 'chat', '--out', out, ...extra, episodes]);

describe('score --engine llama.cpp', () => {
  it("writes the ONNX engine's records from GGUF files (figures within 5e-3), with provenance naming llama.cpp and the files; eval reads them", async () => {
    const out = join(work, 'llama.jsonl');
    const result = await llamaScore(out);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`policy: ${policyGguf} (llama.cpp/cpu/ALL_F32, vocabulary 64, context 128`);
    expect(result.stderr).toMatch(/10 of 10 trajectories scored \(token level\)/);
    const scored = records(await readFile(out, 'utf8'));
    expect(scored.map((record) => record.id)).toEqual(local.map((record) => record.id));
    let largest = 0;
    scored.forEach((record, index) => {
      const want = local[index];
      expect(record.steps).toHaveLength(want.steps.length);
      record.steps.forEach((step, stepIndex) => {
        const expected = want.steps[stepIndex];
        expect(step.tokenIds).toEqual(expected.tokenIds);
        for (const key of ['policy', 'reference', 'entropy', 'topkMean'] as const) largest = Math.max(largest, maxAbsDifference(step[key]!, expected[key]!));
      });
    });
    expect(largest).toBeLessThan(5e-3);
    // Not the ONNX figures copied: llama.cpp's CPU GELU leaves its trace.
    expect(largest).toBeGreaterThan(1e-5);
    const first = scored[0];
    expect(first.engines).toEqual({ policy: 'llama.cpp/cpu/ALL_F32', reference: 'llama.cpp/cpu/ALL_F32' });
    expect(first.policyModel).toBe(policyGguf);
    expect(first.referenceModel).toBe(referenceGguf);
    expect(first.dtype).toBe('ALL_F32');
    expect((first.execution as { policy: { dtype: string } }).policy.dtype).toBe('ALL_F32');
    const evaluated = await runCli(['eval', out]);
    expect(evaluated.status, evaluated.stderr).toBe(0);
  }, 180_000);

  it('refuses what llama.cpp cannot take, exit 2 with the reason: no tokenizer, not a GGUF file, --dtype', async () => {
    const out = join(work, 'refused.jsonl');
    const noTokenizer = await runCli(['score', '--engine', 'llama.cpp', '--policy', policyGguf, '--reference', referenceGguf, '--out', out, episodes]);
    expect(noTokenizer.status).toBe(2);
    expect(noTokenizer.stderr).toContain(`--reference-tokenizer is needed: ${referenceGguf}'s folder has no tokenizer.json`);
    const notGguf = await runCli(['score', '--engine', 'llama.cpp', '--policy', join(POLICY_DIR, 'onnx/model.onnx'), '--reference', referenceGguf, '--reference-tokenizer', REFERENCE_DIR, '--out', out, episodes]);
    expect(notGguf.status).toBe(2);
    expect(notGguf.stderr).toMatch(/--policy: .*model\.onnx is not a GGUF file/);
    const withDtype = await llamaScore(out, ['--dtype', 'q4']);
    expect(withDtype.status).toBe(2);
    expect(withDtype.stderr).toContain("--dtype is not an option of --engine llama.cpp (the GGUF file's own type is used)");
    const threadsWithOnnx = await runCli(['score', '--policy', POLICY_DIR, '--reference', REFERENCE_DIR, '--threads', '2', episodes]);
    expect(threadsWithOnnx.status).toBe(2);
    expect(threadsWithOnnx.stderr).toContain('--threads is an option of --engine llama.cpp');
  }, 120_000);
});
