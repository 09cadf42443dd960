/**
 * The model panel's merged reference in the scoring worker's logic (in-process, Node host, CPU
 * engines): a load with `referenceMerge: α` registers the merged folder and scores with it; the
 * records equal `score --reference-merge α` (the CLI, in-process) exactly, α = 1 gives A ≡ 0, a
 * load without it scores the plain reference again, and a served pair is refused.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runScoreCommand } from '../../../src/cli/commands/score';
import type { ScoredTrajectory } from '../../../src/core/scoring';
import { parseScoreJsonl } from '../../../src/core/scores/format';
import { parseTrajectoryText } from '../../../src/core/trajectory/ingest';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { transformersEngineFactory } from '../../../src/core/scoring';
import { folderLocation, nodeModelFiles } from '../../../src/node/model-files';
import { createScoringService } from '../../../src/worker/scoring-service';
import type { LoadPairRequest, ModelFilesSource } from '../../../src/worker/scoring-protocol';

const ROOT = join(__dirname, '../../..');
const POLICY = join(ROOT, 'public/models/demo-policy');
const REFERENCE = join(ROOT, 'public/models/demo-reference');
let work: string;
let episodes: string;
let trajectories: Trajectory[];
const registered: string[] = [];
const released: string[] = [];

/** The worker's logic with a Node host whose dropped folders are written to disk (the engines wait for the writes). */
let writes: Promise<unknown> = Promise.resolve();
function service() {
  return createScoringService({
    files: nodeModelFiles,
    locate: (source: ModelFilesSource) => ({ location: folderLocation(source.id), label: `folder ${source.id}`, remote: false }),
    chooseDevice: async () => ({ device: 'wasm', reason: 'in-process test', adapter: null }),
    registerFolder: (name, files) => {
      const folder = join(work, `${name}-${registered.length}`);
      registered.push(name);
      writes = Promise.all(
        [...files].map(async ([path, blob]) => {
          await mkdir(dirname(join(folder, path)), { recursive: true });
          await writeFile(join(folder, path), new Uint8Array(await blob.arrayBuffer()));
        }),
      );
      return folder;
    },
    engineFactory: async (request) => {
      await writes;
      return transformersEngineFactory(nodeModelFiles)({ ...request, device: 'cpu' });
    },
    unregisterFolder: (id) => released.push(id),
    serverFetch: () => () => Promise.reject(new Error('no server in this test')),
  });
}

async function scoreThroughService(extra: Partial<LoadPairRequest>): Promise<ScoredTrajectory[]> {
  const client = service();
  await client.loadPair({ policy: { kind: 'dropped', id: POLICY }, reference: { kind: 'dropped', id: REFERENCE }, dtype: 'fp32', device: 'auto', ...extra });
  const results: ScoredTrajectory[] = [];
  const errors: string[] = [];
  await client.score(
    await client.newJobId(),
    trajectories.map((trajectory, index) => ({ key: String(index), trajectory })),
    'chat',
    { onResult: (result) => results.push(result), onError: (key, message) => errors.push(`${key}: ${message}`) },
  );
  await client.unload();
  expect(errors).toEqual([]);
  return results.sort((a, b) => Number(a.key) - Number(b.key));
}

const column = (results: readonly { record: { steps: { policy: number[]; reference: number[] }[] } }[], side: 'policy' | 'reference') => results.flatMap((r) => r.record.steps.flatMap((step) => step[side]));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'worker-merge-'));
  episodes = join(work, 'episodes.jsonl');
  const lines = (await readFile(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8')).trim().split('\n').slice(0, 6);
  await writeFile(episodes, `${lines.join('\n')}\n`);
  trajectories = parseTrajectoryText('episodes.jsonl', `${lines.join('\n')}\n`).trajectories;
  expect(trajectories).toHaveLength(6);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the scoring worker with a merged reference', () => {
  it('scores with the merged reference exactly as score --reference-merge does', async () => {
    const merged = await scoreThroughService({ referenceMerge: 0.3 });
    expect(registered).toEqual(['merged-reference-0.3']);
    const out = join(work, 'cli.jsonl');
    expect(await runScoreCommand(['--policy', POLICY, '--reference', REFERENCE, '--render', 'chat', '--reference-merge', '0.3', '--quiet', '--out', out, episodes])).toBe(0);
    const cli = parseScoreJsonl(await readFile(out, 'utf8'), out).records;
    expect(cli.map((entry) => entry.record.steps)).toEqual(merged.map((result) => result.record.steps));
    const plain = await scoreThroughService({});
    expect(column(plain, 'policy')).toEqual(column(merged, 'policy'));
    expect(column(plain, 'reference')).not.toEqual(column(merged, 'reference'));
    const one = await scoreThroughService({ referenceMerge: 1 });
    expect(column(one, 'reference')).toEqual(column(one, 'policy'));
  }, 180_000);

  it('frees the previous merged folder when the next pair loads', async () => {
    const client = service();
    const request = { policy: { kind: 'dropped', id: POLICY }, reference: { kind: 'dropped', id: REFERENCE }, dtype: 'fp32', device: 'auto' } as const;
    const before = registered.length;
    await client.loadPair({ ...request, referenceMerge: 0.5 });
    const folder = join(work, `merged-reference-0.5-${before}`);
    expect(released).not.toContain(folder);
    await client.loadPair(request);
    expect(released).toContain(folder);
    await client.unload();
  }, 60_000);

  it('refuses a served pair and quantized files', async () => {
    const client = service();
    const tokenizer = { kind: 'dropped', id: REFERENCE } as const;
    await expect(
      client.loadPair({ policy: { kind: 'server', engine: 'vllm', url: 'http://127.0.0.1:9', model: 'p', tokenizer }, reference: { kind: 'server', engine: 'vllm', url: 'http://127.0.0.1:9', model: 'r', tokenizer }, dtype: 'fp32', device: 'auto', referenceMerge: 0.5 }),
    ).rejects.toThrow('a merged reference needs both models as ONNX files: a served pair cannot be merged');
    await expect(client.loadPair({ policy: { kind: 'dropped', id: POLICY }, reference: { kind: 'dropped', id: REFERENCE }, dtype: 'q8', device: 'auto', referenceMerge: 0.5 })).rejects.toThrow(
      `reference onnx/model_quantized.onnx (folder ${REFERENCE}) is quantized`,
    );
  }, 60_000);
});
