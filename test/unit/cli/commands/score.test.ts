/**
 * `progress-advantage score` end to end: tiny seeded GPT-2 folders, an OpenAI-chat file written
 * here (tool calls, an empty assistant message) and the first two τ²-bench simulations of the real
 * fixture, scored by the CLI as a child process; the figures are checked against an independent
 * float64 computation, chunked runs against the unchunked one, and `eval` reads the output.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitIntoPieces, wordLevelVocabularyFromTexts } from '../../../../lab/model-builder';
import { renderPlainTexts, renderTrajectory, type RenderMode, type RenderedTrajectory } from '../../../../src/core/render';
import { parseScoreJsonl, type ScoreRecord } from '../../../../src/core/scores/format';
import { fromTransformersTokenizer } from '../../../../src/core/tokenizer';
import { parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import {
  configOf,
  independentFigures,
  maxAbsDifference,
  patchTokenizerConfig,
  runCli,
  runLimited,
  tokenSlice,
  writeModelFolder,
  type CliResult,
  type ModelSpec,
  type ReferenceFigures,
} from './score-helpers';

const FIXTURES = resolve(__dirname, '../../../../../shared/fixtures/trajectories');
const INSPECT_LOG = resolve(__dirname, '../../../corpus/good/inspect-ai-log.json');

const CHAT_RECORDS = [
  {
    id: 'chat-fix',
    task_id: 'fix-tests',
    reward: 1,
    messages: [
      { role: 'system', content: 'You are a coding agent. Use the tools.' },
      { role: 'user', content: 'The tests in main.py fail. Fix the bug.' },
      {
        role: 'assistant',
        content: 'I will run the tests first.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'run', arguments: '{"cmd": "pytest -q", "timeout": 30}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '2 failed, 3 passed' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'edit', arguments: '{"path": "main.py", "line": 12, "text": "return a + b", "dry_run": false}' } }],
      },
      { role: 'tool', tool_call_id: 'call_2', content: 'ok' },
      { role: 'assistant', content: 'Fixed: add returned a - b. All 5 tests pass now.' },
    ],
  },
  {
    id: 'chat-ask',
    task_id: 'fix-tests',
    reward: 0,
    messages: [
      { role: 'user', content: 'What does the add function return?' },
      { role: 'assistant', content: 'It returns a - b, which is the bug.' },
      { role: 'user', content: 'Then fix it.' },
      { role: 'assistant', content: 'Done.', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'edit', arguments: '{"path": "main.py", "text": null}' } }] },
    ],
  },
];

let work: string;
const files = { chat: '', tau2: '', bad: '', missing: '' };
let chatTrajectories: Trajectory[];
let tau2Trajectories: Trajectory[];
let vocabulary: string[];
const models = {} as Record<'policy' | 'reference' | 'policyShort' | 'referenceShort' | 'referenceOtherVocabulary' | 'referenceOtherEos', { folder: string; spec: ModelSpec }>;
const runs = {} as Record<
  'unchunked' | 'chunk3' | 'chunk17' | 'contextLimit' | 'stepLevel' | 'sameVocabulary' | 'badFiles' | 'precomputed' | 'precomputedAlone' | 'hubOffline',
  CliResult
>;
const outputs = { unchunked: '', chunk3: '', stepLevel: '' };

async function writeModel(key: keyof typeof models, spec: ModelSpec): Promise<void> {
  models[key] = { folder: await writeModelFolder(work, spec), spec };
}

function parseRecords(text: string, name: string): ScoreRecord[] {
  const parsed = parseScoreJsonl(text, name);
  expect(parsed.errors).toEqual([]);
  return parsed.records.map((entry) => entry.record);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'score-cli-'));
  files.chat = join(work, 'chat.jsonl');
  files.tau2 = join(work, 'tau2-excerpt.json');
  files.bad = join(work, 'broken.json');
  files.missing = join(work, 'no-such-file.json');
  const chatText = CHAT_RECORDS.map((record) => JSON.stringify(record)).join('\n') + '\n';
  const tau2 = JSON.parse(await readFile(join(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json'), 'utf8')) as { simulations: unknown[] };
  const tau2Text = JSON.stringify({ ...tau2, simulations: tau2.simulations.slice(0, 2) });
  await writeFile(files.chat, chatText);
  await writeFile(files.tau2, tau2Text);
  await writeFile(files.bad, '{"messages": [{"role": "user", "content": "unterminated"}');
  chatTrajectories = parseTrajectoryText(files.chat, chatText).trajectories;
  tau2Trajectories = parseTrajectoryText(files.tau2, tau2Text).trajectories;

  // Every piece of the chat file; of the τ²-bench excerpt only the pieces seen three times or more,
  // so its rarer words meet the tokenizer's <unk>.
  const chatPieces = wordLevelVocabularyFromTexts(chatTrajectories.flatMap(renderPlainTexts));
  const tau2Counts = new Map<string, number>();
  for (const text of tau2Trajectories.flatMap(renderPlainTexts)) for (const piece of splitIntoPieces(text)) tau2Counts.set(piece, (tau2Counts.get(piece) ?? 0) + 1);
  const chatSet = new Set(chatPieces);
  vocabulary = [...chatPieces, ...[...tau2Counts].filter(([piece, count]) => count >= 3 && !chatSet.has(piece)).map(([piece]) => piece)];

  const base = { vocabulary, contextLength: 1024 };
  await writeModel('policy', { ...base, name: 'policy', embeddingDim: 32, headCount: 4, seed: 11 });
  await writeModel('reference', { ...base, name: 'reference', embeddingDim: 24, headCount: 2, seed: 22 });
  await writeModel('policyShort', { vocabulary, name: 'policy-short', contextLength: 40, embeddingDim: 16, headCount: 2, seed: 33 });
  await writeModel('referenceShort', { vocabulary, name: 'reference-short', contextLength: 100, embeddingDim: 16, headCount: 2, seed: 44 });
  // Another vocabulary (same pieces, other ids): the tokenizers do not match.
  await writeModel('referenceOtherVocabulary', { ...base, vocabulary: [...vocabulary].reverse(), name: 'reference-other-vocabulary', embeddingDim: 24, headCount: 2, seed: 22 });
  // The reference's weights and vocabulary, with another end-of-sequence token (as instruct vs base tokenizers differ).
  await writeModel('referenceOtherEos', { ...base, name: 'reference-other-eos', embeddingDim: 24, headCount: 2, seed: 22 });
  await patchTokenizerConfig(models.referenceOtherEos.folder, { eos_token: '<unk>' });

  outputs.unchunked = join(work, 'unchunked.jsonl');
  outputs.chunk3 = join(work, 'chunk3.jsonl');
  outputs.stepLevel = join(work, 'step-level.jsonl');
  const pair = ['--policy', models.policy.folder, '--reference', models.reference.folder];
  const tasks: [keyof typeof runs, string[]][] = [
    ['unchunked', ['score', ...pair, '--chunk', '4096', '--out', outputs.unchunked, files.chat, files.tau2]],
    ['chunk3', ['score', ...pair, '--chunk', '3', '--quiet', '--out', outputs.chunk3, files.chat, files.tau2]],
    ['chunk17', ['score', ...pair, '--chunk', '17', files.chat, files.tau2]],
    ['contextLimit', ['score', '--policy', models.policyShort.folder, '--reference', models.referenceShort.folder, '--chunk', '7', files.chat]],
    ['stepLevel', ['score', '--policy', models.policy.folder, '--reference', models.referenceOtherVocabulary.folder, '--out', outputs.stepLevel, files.chat]],
    ['sameVocabulary', ['score', '--policy', models.policy.folder, '--reference', models.referenceOtherEos.folder, files.chat]],
    ['badFiles', ['score', ...pair, files.missing, files.bad, files.chat]],
    ['precomputed', ['score', '--precomputed', '--reference', models.reference.folder, INSPECT_LOG]],
    ['precomputedAlone', ['score', '--precomputed', INSPECT_LOG]],
    ['hubOffline', ['score', '--policy', 'progress-advantage-tests/no-such-model', '--reference', models.reference.folder, files.chat]],
  ];
  const results = await runLimited(
    tasks.map(([, args]) => () => runCli(args)),
    2,
  );
  tasks.forEach(([name], index) => (runs[name] = results[index]));
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The rendering the CLI makes with the policy tokenizer (loaded here on its own). */
async function renderWith(folder: string, trajectories: readonly Trajectory[], mode: RenderMode = 'plain'): Promise<RenderedTrajectory[]> {
  const saved = { allowLocalModels: env.allowLocalModels, allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: resolve(folder, '..') });
  try {
    const tokenizer = fromTransformersTokenizer(await AutoTokenizer.from_pretrained(folder.split('/').pop()!));
    return trajectories.map((trajectory) => renderTrajectory(trajectory, tokenizer, mode));
  } finally {
    Object.assign(env, saved);
  }
}

describe('score, token level (one tokenizer)', () => {
  let records: ScoreRecord[];
  let trajectories: Trajectory[];
  let rendered: RenderedTrajectory[];
  let expected: { policy: ReferenceFigures; reference: ReferenceFigures }[];

  beforeAll(async () => {
    records = parseRecords(await readFile(outputs.unchunked, 'utf8'), 'unchunked.jsonl');
    trajectories = [...chatTrajectories, ...tau2Trajectories];
    rendered = await renderWith(models.policy.folder, trajectories);
    expected = [];
    for (const { tokenIds } of rendered) {
      expected.push({
        policy: await independentFigures(models.policy.folder, configOf(models.policy.spec), tokenIds),
        reference: await independentFigures(models.reference.folder, configOf(models.reference.spec), tokenIds),
      });
    }
  });

  it('exits 0 and reports progress with tokens/s on stderr', () => {
    expect(runs.unchunked.status).toBe(0);
    expect(runs.unchunked.stdout).toBe('');
    expect(runs.unchunked.stderr).toMatch(/\[1\/4\] .*chat\.jsonl#0 "chat-fix": \d+ tokens, 3 action steps; \d+ tokens forwarded in [\d.]+ s \(\d+ tokens\/s\)/);
    expect(runs.unchunked.stderr).toMatch(/4 of 4 trajectories scored \(token level\)/);
    expect(runs.unchunked.stderr).not.toMatch(/notice|not scored|error/);
  });

  it('writes one record per trajectory, in file order, with the provenance keys', () => {
    expect(rendered.every((r) => r.tokenIds.length < 1024)).toBe(true);
    expect(rendered.some((r) => r.tokenIds.includes(3))).toBe(true); // <unk>: the τ²-bench words outside the vocabulary
    expect(records.map((r) => r.id)).toEqual(trajectories.map((t) => t.id));
    expect(records.map((r) => [r.file, r.index, r.trajectoryFormat])).toEqual([
      [files.chat, 0, 'openai-chat'],
      [files.chat, 1, 'openai-chat'],
      [files.tau2, 0, 'tau2-bench'],
      [files.tau2, 1, 'tau2-bench'],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({
        format: 'progress-advantage-scores/1',
        scoreLevel: 'token',
        policyModel: models.policy.folder,
        referenceModel: models.reference.folder,
        dtype: 'fp32',
        render: 'plain',
        notScored: [],
        engines: { policy: 'transformers.js/onnxruntime-node/cpu/fp32', reference: 'transformers.js/onnxruntime-node/cpu/fp32' },
      });
    }
    expect(records[0]).toMatchObject({ taskId: 'fix-tests', reward: 1 });
  });

  it('has every action step in message order, its tokens exactly the rendered span', () => {
    records.forEach((record, index) => {
      const trajectory = trajectories[index];
      expect(record.steps.map((step) => step.message)).toEqual(trajectory.actionSteps);
      record.steps.forEach((step, stepIndex) => {
        const span = rendered[index].actionSpans[stepIndex];
        expect(span.start).toBeGreaterThan(0); // BOS comes first, so no step loses its first token
        expect(step.tokenIds).toEqual(rendered[index].tokenIds.slice(span.start, span.end));
        for (const values of [step.policy, step.reference, step.topkMean, step.entropy, step.tokens]) expect(values).toHaveLength(span.end - span.start);
      });
    });
    // The chat file is all in the vocabulary: the token texts put back together are the rendered messages.
    records.slice(0, 2).forEach((record, index) => {
      const texts = renderPlainTexts(trajectories[index]);
      for (const step of record.steps) expect(step.tokens!.join('')).toBe(texts[step.message]);
    });
    expect(records[0].steps[1].tokens!.join('')).toBe("\n[assistant]: tool_call(edit, {'path': 'main.py', 'line': 12, 'text': 'return a + b', 'dry_run': False})");
  });

  it('matches an independent float64 computation within 1e-4 (policy − reference, each side, entropy, top-20 mean)', () => {
    let worst = 0;
    let tokenCount = 0;
    records.forEach((record, index) => {
      record.steps.forEach((step, stepIndex) => {
        const { start, end } = rendered[index].actionSpans[stepIndex];
        const policy = tokenSlice(expected[index].policy.logprob, start, end);
        const reference = tokenSlice(expected[index].reference.logprob, start, end);
        const differences = [
          maxAbsDifference(
            step.policy.map((value, t) => value - step.reference[t]),
            policy.map((value, t) => value - reference[t]),
          ),
          maxAbsDifference(step.policy, policy),
          maxAbsDifference(step.reference, reference),
          maxAbsDifference(step.entropy!, tokenSlice(expected[index].policy.entropy, start, end)),
          maxAbsDifference(step.topkMean!, tokenSlice(expected[index].policy.topkMean, start, end)),
        ];
        worst = Math.max(worst, ...differences);
        tokenCount += step.policy.length;
      });
    });
    expect(tokenCount).toBeGreaterThan(200);
    expect(worst).toBeLessThan(1e-4);
  });

  it('gives the same figures within 1e-5 with chunks of 3 and 17 tokens (steps split across chunks)', async () => {
    expect(runs.chunk3.status).toBe(0);
    expect(runs.chunk3.stdout).toBe(''); // written to --out
    expect(runs.chunk3.stderr).toBe(''); // --quiet
    expect(runs.chunk17.status).toBe(0);
    expect(runs.chunk17.stderr).toMatch(/chunk 17\)/);
    const chunkedRuns = [parseRecords(await readFile(outputs.chunk3, 'utf8'), 'chunk3.jsonl'), parseRecords(runs.chunk17.stdout, 'chunk17.jsonl')];
    for (const chunked of chunkedRuns) {
      expect(chunked.map((r) => r.id)).toEqual(records.map((r) => r.id));
      let worst = 0;
      chunked.forEach((record, index) => {
        record.steps.forEach((step, stepIndex) => {
          const unchunked = records[index].steps[stepIndex];
          expect(step.tokenIds).toEqual(unchunked.tokenIds);
          for (const key of ['policy', 'reference', 'entropy', 'topkMean'] as const) worst = Math.max(worst, maxAbsDifference(step[key]!, unchunked[key]!));
        });
      });
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('renders with the chat template under --render chat, figures again within 1e-4 of the independent computation', async () => {
    const { status, stdout } = await runCli(['score', '--policy', models.policy.folder, '--reference', models.reference.folder, '--render', 'chat', '--chunk', '5', '--quiet', files.chat]);
    expect(status).toBe(0);
    const chatRecords = parseRecords(stdout, 'chat-render.jsonl');
    const chatRendered = await renderWith(models.policy.folder, chatTrajectories, 'chat');
    let worst = 0;
    for (const [index, record] of chatRecords.entries()) {
      expect(record.render).toBe('chat');
      const { tokenIds } = chatRendered[index];
      const policy = await independentFigures(models.policy.folder, configOf(models.policy.spec), tokenIds);
      const reference = await independentFigures(models.reference.folder, configOf(models.reference.spec), tokenIds);
      record.steps.forEach((step, stepIndex) => {
        const { start, end } = chatRendered[index].actionSpans[stepIndex];
        expect(step.tokenIds).toEqual(tokenIds.slice(start, end));
        const expectedDifference = tokenSlice(policy.logprob, start, end).map((value, t) => value - tokenSlice(reference.logprob, start, end)[t]);
        worst = Math.max(worst, maxAbsDifference(step.policy.map((value, t) => value - step.reference[t]), expectedDifference));
      });
    }
    // The builder's template writes `role: content` lines, unlike plain mode's `[role]: content`.
    expect(chatRecords[1].steps[0].tokens!.join('')).toBe('assistant: It returns a - b, which is the bug.\n');
    expect(worst).toBeLessThan(1e-4);
  });

  it('is read by eval', async () => {
    const { status, stdout, stderr } = await runCli(['eval', '--json', outputs.unchunked]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as { n: number; perTrajectory: { id: string; stepScores: number[] }[] };
    expect(report.n).toBe(4);
    // Step score (difference mode, token mean) = mean of policy − reference over the step's tokens.
    const step = records[0].steps[0];
    const mean = step.policy.reduce((sum, value, t) => sum + value - step.reference[t], 0) / step.policy.length;
    expect(report.perTrajectory[0].stepScores[0]).toBeCloseTo(mean, 6);
  });
});

describe('score at the context limit', () => {
  it('lists every cut step on stderr and in the record, scores the rest, and exits 0', () => {
    const { status, stdout, stderr } = runs.contextLimit;
    expect(status).toBe(0);
    const records = parseRecords(stdout, 'context-limit.jsonl');
    expect(records).toHaveLength(2);
    const notScored = records.flatMap((record) => (record.notScored as { message: number; reason: string; side: string }[]).map((step) => ({ id: record.id, ...step })));
    expect(notScored.length).toBeGreaterThan(0);
    for (const step of notScored) {
      expect(step.reason).toBe('context-limit');
      expect(['policy', 'both']).toContain(step.side); // the policy's context (40) is the shorter one (the reference's: 100)
      expect(stderr).toContain(`"${step.id}": message ${step.message} (context-limit, ${step.side}): message ${step.message} ends at token`);
      const recordStep = records.find((record) => record.id === step.id)!.steps.find((s) => s.message === step.message)!;
      expect(recordStep.policy).toEqual([]);
      expect(recordStep.reference).toEqual([]);
    }
    // chat-ask's first answer fits in the 40 tokens and is scored; chat-fix's last step does not.
    expect(records[1].steps[0].policy.length).toBeGreaterThan(0);
    expect(records[1].notScored).not.toContainEqual(expect.objectContaining({ message: records[1].steps[0].message }));
    expect(records[0].steps.at(-1)!.policy).toEqual([]);
    // A step within the reference's 100 tokens but beyond the policy's 40 is cut for the policy alone.
    expect(notScored.map((step) => step.side)).toContain('policy');
    expect(notScored.map((step) => step.side)).toContain('both');
  });
});

describe('score with two tokenizers', () => {
  it('different vocabularies: a visible notice and step-level records that eval reads (per-model, sum)', async () => {
    const { status, stderr } = runs.stepLevel;
    expect(status).toBe(0);
    expect(stderr).toMatch(/notice: the policy and reference tokenizers have different vocabularies .*falling back to step-level scores/);
    const records = parseRecords(await readFile(outputs.stepLevel, 'utf8'), 'step-level.jsonl');
    expect(records.map((r) => r.scoreLevel)).toEqual(['step', 'step']);

    // Each side sums its own tokenization's log-probs over the step.
    const policyRendered = await renderWith(models.policy.folder, chatTrajectories);
    const referenceRendered = await renderWith(models.referenceOtherVocabulary.folder, chatTrajectories);
    for (const [index, record] of records.entries()) {
      const policyFigures = await independentFigures(models.policy.folder, configOf(models.policy.spec), policyRendered[index].tokenIds);
      const referenceFigures = await independentFigures(
        models.referenceOtherVocabulary.folder,
        configOf(models.referenceOtherVocabulary.spec),
        referenceRendered[index].tokenIds,
      );
      record.steps.forEach((step, stepIndex) => {
        const policySpan = policyRendered[index].actionSpans[stepIndex];
        const referenceSpan = referenceRendered[index].actionSpans[stepIndex];
        const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
        expect(step.policy).toHaveLength(1);
        expect(step.policy[0]).toBeCloseTo(sum(tokenSlice(policyFigures.logprob, policySpan.start, policySpan.end)), 3);
        expect(step.reference[0]).toBeCloseTo(sum(tokenSlice(referenceFigures.logprob, referenceSpan.start, referenceSpan.end)), 3);
        expect(step.tokenIds).toBeUndefined();
      });
      expect(record.stepTokenCounts).toEqual(
        record.steps.map((step, stepIndex) => ({
          message: step.message,
          policy: policyRendered[index].actionSpans[stepIndex].end - policyRendered[index].actionSpans[stepIndex].start,
          reference: referenceRendered[index].actionSpans[stepIndex].end - referenceRendered[index].actionSpans[stepIndex].start,
        })),
      );
    }

    const evaluated = await runCli(['eval', '--json', '--mode', 'per-model', '--token-agg', 'sum', outputs.stepLevel]);
    expect(evaluated.stderr).toBe('');
    expect(evaluated.status).toBe(0);
    const report = JSON.parse(evaluated.stdout) as { n: number; perTrajectory: { stepScores: number[] }[] };
    expect(report.n).toBe(2);
    records.forEach((record, index) => {
      expect(report.perTrajectory[index].stepScores).toEqual(record.steps.map((step) => step.policy[0] - step.reference[0]).map((value) => expect.closeTo(value, 9)));
    });
  });

  it('one vocabulary with other special tokens: token level, with a notice naming the difference', async () => {
    const { status, stdout, stderr } = runs.sameVocabulary;
    expect(status).toBe(0);
    expect(stderr).toMatch(/notice: the policy and reference tokenizers share their vocabulary but not their special-token roles \(eos 2 vs 3\)/);
    const records = parseRecords(stdout, 'same-vocabulary.jsonl');
    const reference = parseRecords(await readFile(outputs.unchunked, 'utf8'), 'unchunked.jsonl');
    // Same weights and ids as the reference model of the unchunked run: the same figures.
    records.forEach((record, index) => {
      expect(record.scoreLevel).toBe('token');
      record.steps.forEach((step, stepIndex) => {
        expect(step.tokenIds).toEqual(reference[index].steps[stepIndex].tokenIds);
        expect(maxAbsDifference(step.reference, reference[index].steps[stepIndex].reference)).toBeLessThan(1e-5);
      });
    });
  });
});

describe('score with files that cannot be read', () => {
  it('reports each bad file on stderr, scores the good one and exits 1', () => {
    const { status, stdout, stderr } = runs.badFiles;
    expect(status).toBe(1);
    expect(stderr).toContain(`error: ${files.missing}: cannot read the file: no such file`);
    expect(stderr).toMatch(new RegExp(`error: ${files.bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid JSON`));
    expect(parseRecords(stdout, 'bad-files.jsonl').map((record) => record.id)).toEqual(['chat-fix', 'chat-ask']);
  });

  it('names a hub id that cannot be loaded and exits 1', () => {
    const { status, stdout, stderr } = runs.hubOffline;
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('error: cannot load the policy tokenizer from the hub model "progress-advantage-tests/no-such-model"');
  });
});

describe('score --precomputed (log-probs carried by an Inspect AI log)', () => {
  it('uses the file as the policy side and the reference model, at step level', () => {
    const { status, stdout, stderr } = runs.precomputed;
    expect(status).toBe(0);
    expect(stderr).toMatch(/notice: the policy log-probs come from the files/);
    const records = parseRecords(stdout, 'precomputed.jsonl');
    expect(records).toHaveLength(2);
    for (const record of records) expect(record).toMatchObject({ scoreLevel: 'step', policyModel: 'precomputed (log-probs in the file)' });
    // Sample 1: the tool-call step carries no log-probs; the answer "5" carries one (−0.0012).
    const [first, second] = records;
    expect(first.steps.map((step) => step.message)).toEqual([1, 3]);
    expect(first.steps[0].policy).toEqual([]);
    expect(first.notScored).toEqual([expect.objectContaining({ message: 1, reason: 'no-precomputed-logprobs', side: 'policy' })]);
    expect(stderr).toMatch(/not scored: .*message 1 \(no-precomputed-logprobs, policy\)/);
    expect(first.steps[1].policy[0]).toBeCloseTo(-0.0012, 6);
    expect(first.steps[1].reference[0]).toBeLessThan(0);
    // Sample 2: "Porto" as two API tokens, −0.9 and −0.01.
    expect(second.steps.at(-1)!.policy[0]).toBeCloseTo(-0.91, 6);
  });

  it('refuses to run without --reference: the file holds one side only', () => {
    const { status, stderr } = runs.precomputedAlone;
    expect(status).toBe(2);
    expect(stderr).toMatch(/--precomputed needs --reference MODEL: the files carry one side only/);
  });
});
