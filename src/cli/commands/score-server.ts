/**
 * `progress-advantage score --engine vllm|sglang --policy-url URL[,URL…] --reference-url URL[,URL…]
 * [options] FILE…`: the score command through vLLM or SGLang servers (docs/servers.md). Trajectories
 * are rendered and tokenized here exactly as for the local engine (same renderer, same spans) and
 * sent as token ids; several URLs per model are replicas used data-parallel; many trajectories are
 * in flight at once, bounded by the replicas' slots (src/core/engine/server/client.ts). Each
 * finished trajectory is appended to the output as one complete line as soon as it is done;
 * `--resume` skips those already there (score-resume.ts). Progress (trajectories, tokens/s, time
 * left) and a summary (scored, skipped, failed with reasons) go to standard error. Exit status: 0
 * nothing failed, 1 a file, trajectory or server failed (the rest is still written), 2 usage error.
 */
import {
  createServerEngine,
  prepareServerTokenizers,
  releaseServerTokenizers,
  ServerConnectError,
  ServerTokenizerUnavailableError,
  SERVER_NAMES,
  DEFAULT_RETRY,
  type ClientOptions,
  type ServerEngine,
  type ServerKind,
} from '../../core/engine/server';
import type { RenderMode } from '../../core/render';
import {
  ModelLoadError,
  modelInfoOf,
  renderPrimary,
  scoreTrajectory,
  type ContextPolicy,
  type ModelSpec,
  type ScoringPair,
} from '../../core/scoring';
import { printErr } from '../terminal';
import { UsageError, parseCommandLine } from '../usage';
import { OutputIds, Reporter, openSink, parseRenderAndContext, parseScoreArgs, readTrajectories, reportNotScored, scoreRecordLine, type LineSink } from './score-io';
import { executionRecord } from './score-report';
import { ResumeError, contentHashOf, openLineFile, readResumeState, type ResumeSettings } from './score-resume';
import { loadServedTokenizers } from './score-server-tokenizers';

const USAGE = `usage: progress-advantage score --engine vllm|sglang --policy-url URL[,URL…] --reference-url URL[,URL…] [options] FILE…

Scores every action step through vLLM or SGLang servers (docs/servers.md): trajectories are rendered
and tokenized here as for the local engine and sent as token ids; the servers answer each prompt
token's log-prob (vLLM prompt_logprobs, SGLang input_token_logprobs). Writes the score format
(docs/eval.md) as \`score\` does, one line per trajectory as soon as it is scored. Records carry no
entropy (a server gives top-k lists, not the full distribution).

options:
  --engine E              vllm | sglang
  --policy-url URL,…      the server(s) serving the tuned model; several URLs = replicas
  --reference-url URL,…   the server(s) serving the model it was tuned from (may be the same
                          server under another model name)
  --policy-model NAME     the served model name (vLLM --served-model-name); default: the one model
  --reference-model NAME  the server serves
  --policy-tokenizer M    a local model folder or hub id with the policy's tokenizer (default:
                          the served model name when it is a local folder, else the server's
                          own /tokenize and /detokenize; SGLang's cannot render --render chat)
  --reference-tokenizer M the same for the reference
  --concurrency N         requests in flight per replica            (default 4)
  --timeout S             seconds one request may take              (default 600)
  --retries N             attempts after the first on connection errors, 429 and 5xx (default 6)
  --top-logprobs K        20: ask 20 top log-probs per position for the top-20 mean (vLLM's default
                          --max-logprobs is 20); 0: the actual token only   (default 20)
  --resume                skip the trajectories already in --out (by content hash) and append
  --render, --context-policy, --context-tokens, --out, --quiet, --json: as for \`score\`
  -h, --help              this text

exit status: 0 nothing failed, 1 a file, trajectory or server failed (the rest is still written;
--resume retries the failed ones), 2 usage error.`;

interface ServerSide {
  urls: string[];
  model: string | undefined;
  tokenizer: string | undefined;
}

interface ServerCommand {
  kind: ServerKind;
  policy: ServerSide;
  reference: ServerSide;
  client: Omit<ClientOptions, 'fetch' | 'onRetry'>;
  topLogprobs: number;
  resume: boolean;
  render: RenderMode;
  context: ContextPolicy;
  files: string[];
  out: string | null;
  quiet: boolean;
  json: boolean;
}

/** Whether `score`'s arguments ask for a server engine (score.ts hands them here). */
export function asksForServerEngine(argv: readonly string[]): boolean {
  return argv.some((arg, index) => /^--engine=(vllm|sglang)$/.test(arg) || (arg === '--engine' && /^(vllm|sglang)$/.test(argv[index + 1] ?? '')));
}

function positiveInteger(name: string, value: string | undefined, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < minimum || !Number.isSafeInteger(Number(value))) throw new UsageError(`--${name}: expected an integer ≥ ${minimum}, got '${value}'`);
  return Number(value);
}

function urlsOf(name: string, value: string | undefined): string[] {
  if (value === undefined) throw new UsageError(`missing --${name} URL[,URL…]`);
  const urls = value.split(',').map((url) => url.trim()).filter(Boolean);
  for (const url of urls) if (!/^https?:\/\/[^/\s]+/i.test(url)) throw new UsageError(`--${name}: '${url}' is not an http(s) URL`);
  if (urls.length === 0) throw new UsageError(`--${name}: no URL`);
  return urls;
}

const SERVER_STRING_OPTIONS = [
  'engine', 'policy-url', 'reference-url', 'policy-model', 'reference-model', 'policy-tokenizer', 'reference-tokenizer',
  'concurrency', 'timeout', 'retries', 'top-logprobs', 'render', 'context-policy', 'context-tokens', 'out',
];

function parseCommand(argv: string[]): ServerCommand | 'help' {
  const parsed = parseScoreArgs(
    argv,
    {
      ...Object.fromEntries(SERVER_STRING_OPTIONS.map((name) => [name, { type: 'string' as const }])),
      resume: { type: 'boolean' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    (message) =>
      /--(policy|reference|preset|dtype|chunk|precomputed)\b/.test(message) ? `${message}; with --engine the models are servers: --policy-url / --reference-url (and --policy-model / --reference-model)` : message,
  );
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const text = (name: string) => values[name] as string | undefined;
  if (values.help) return 'help';
  const kind = text('engine');
  if (kind !== 'vllm' && kind !== 'sglang') throw new UsageError(`--engine: unknown value '${kind}' (expected vllm | sglang)`);
  const { render, context } = parseRenderAndContext(text('render') ?? 'plain', text('context-policy'), text('context-tokens'));
  const topLogprobs = positiveInteger('top-logprobs', text('top-logprobs'), 20, 0);
  if (topLogprobs !== 0 && topLogprobs !== 20) throw new UsageError(`--top-logprobs: 20 (the top-20 mean) or 0 (none), not ${topLogprobs}`);
  const resume = values.resume === true;
  if (resume && text('out') === undefined) throw new UsageError('--resume needs --out FILE: it continues the job written there');
  if (parsed.positionals.length === 0) throw new UsageError('no FILE given');
  return {
    kind,
    policy: { urls: urlsOf('policy-url', text('policy-url')), model: text('policy-model'), tokenizer: text('policy-tokenizer') },
    reference: { urls: urlsOf('reference-url', text('reference-url')), model: text('reference-model'), tokenizer: text('reference-tokenizer') },
    client: {
      concurrency: positiveInteger('concurrency', text('concurrency'), 4),
      timeoutMs: positiveInteger('timeout', text('timeout'), 600) * 1000,
      retry: { ...DEFAULT_RETRY, retries: positiveInteger('retries', text('retries'), DEFAULT_RETRY.retries, 0) },
    },
    topLogprobs,
    resume,
    render,
    context,
    files: parsed.positionals,
    out: text('out') ?? null,
    quiet: values.quiet === true,
    json: values.json === true,
  };
}

interface ServerPair {
  pair: ScoringPair;
  engines: { policy: ServerEngine; reference: ServerEngine };
  execution: ReturnType<typeof executionRecord>;
  /** Where each side's tokenizer came from (the records' `server.*.tokenizer`). */
  tokenizerLabels: { policy: string; reference: string };
}

async function connect(command: ServerCommand, reporter: Reporter): Promise<ServerPair> {
  const client: ClientOptions = {
    ...command.client,
    fetch: (url, init) => fetch(url, init),
    onRetry: (event) =>
      reporter.notice(`notice: ${event.url}: ${event.reason}; retry ${event.attempt}${event.delayMs > 0 ? ` in ${(event.delayMs / 1000).toFixed(1)} s` : ' on another replica'}`, { type: 'retry', ...event }),
  };
  const started = Date.now();
  const policy = await createServerEngine({ kind: command.kind, urls: command.policy.urls, ...(command.policy.model ? { model: command.policy.model } : {}), topLogprobs: command.topLogprobs }, client);
  const reference = await createServerEngine({ kind: command.kind, urls: command.reference.urls, ...(command.reference.model ? { model: command.reference.model } : {}), topLogprobs: 0 }, client);
  let loadedTokenizers;
  try {
    loadedTokenizers = await loadServedTokenizers(command, { policy, reference }, client);
  } catch (error) {
    if (error instanceof ServerTokenizerUnavailableError) throw new ModelLoadError(error.message.replace(/name the model's own tokenizer \(a folder or hub id\)/, 'name it with --policy-tokenizer / --reference-tokenizer DIR|HUB_ID'));
    if (!(error instanceof ModelLoadError)) throw error;
    throw new ModelLoadError(`${error.message}; name the tokenizer with --policy-tokenizer / --reference-tokenizer DIR|HUB_ID (the models' own: the servers are sent token ids)`);
  }
  const { labels, notices, ...tokenizers } = loadedTokenizers;
  for (const notice of notices) reporter.notice(`notice: ${notice}`);
  // The pair's spec names where each tokenizer came from (a server tokenizer has no files).
  const specOf = (label: string): ModelSpec => ({ location: { modelId: label }, label, remote: false });
  const spec = { policy: specOf(labels.policy), reference: specOf(labels.reference), dtype: 'server' };
  for (const side of ['policy', 'reference'] as const) reporter.info(`${side} tokenizer: ${labels[side]}`, { type: 'tokenizer', side, tokenizer: labels[side] });
  if ('notice' in tokenizers.pairing) reporter.notice(`notice: ${tokenizers.pairing.notice}`);
  const run = { device: 'server', dtype: 'server' } as const;
  const seconds = `${((Date.now() - started) / 1000).toFixed(2)} s`;
  const policySide = { side: 'policy', spec: `${SERVER_NAMES[command.kind]} ${policy.modelId} at ${policy.server.urls.join(', ')}`, info: modelInfoOf(policy, tokenizers.policyTokenizer!, run) } as const;
  const referenceSide = { side: 'reference', spec: `${SERVER_NAMES[command.kind]} ${reference.modelId} at ${reference.server.urls.join(', ')}`, info: modelInfoOf(reference, tokenizers.referenceTokenizer, run) } as const;
  for (const [side, engine] of [['policy', policy], ['reference', reference]] as const) {
    const k = side === 'policy' ? command.topLogprobs : 0;
    reporter.info(
      `${side}: ${SERVER_NAMES[command.kind]} ${JSON.stringify(engine.modelId)} at ${engine.server.urls.join(', ')}: context ${engine.serverContext} tokens (sequences up to ${engine.maxContext + 1}), ${k > 0 ? `${k} top log-probs per position` : 'the actual token\'s log-prob only'}`,
      { type: 'model', side, engine: command.kind, model: engine.modelId, urls: engine.server.urls, serverContext: engine.serverContext, maxContext: engine.maxContext, topLogprobs: k },
    );
  }
  reporter.info(`connected and tokenizers loaded in ${seconds}`, { type: 'connected', milliseconds: Date.now() - started });
  return { pair: { spec, device: 'server', ...tokenizers, policyEngine: policy, referenceEngine: reference }, engines: { policy, reference }, execution: executionRecord(policySide, referenceSide), tokenizerLabels: labels };
}

const duration = (milliseconds: number): string =>
  milliseconds < 90_000 ? `${(milliseconds / 1000).toFixed(1)} s` : milliseconds < 5_400_000 ? `${(milliseconds / 60_000).toFixed(1)} min` : `${(milliseconds / 3_600_000).toFixed(1)} h`;

export async function run(argv: string[]): Promise<number> {
  const commandLine = parseCommandLine('score', USAGE, () => parseCommand(argv));
  if ('exit' in commandLine) return commandLine.exit;
  const { command } = commandLine;
  const reporter = new Reporter(command.quiet, process.stderr, command.json);
  const { entries, failed: readFailed } = await readTrajectories(command.files, reporter);
  if (entries.length === 0) return 1;
  let loaded: ServerPair;
  try {
    loaded = await connect(command, reporter);
  } catch (error) {
    if (!(error instanceof ServerConnectError || error instanceof ModelLoadError)) throw error;
    reporter.notice(`error: ${error.message}`);
    return 1;
  }
  const { pair, engines } = loaded;
  const settings: ResumeSettings = {
    'server.engine': command.kind,
    policyModel: engines.policy.modelId,
    referenceModel: engines.reference.modelId,
    scoreLevel: pair.pairing.level,
    render: command.render,
    contextPolicy: command.context,
  };
  let done = new Set<string>();
  if (command.resume) {
    try {
      const state = await readResumeState(command.out!, settings);
      done = state.done;
      for (const note of state.notes) reporter.notice(`notice: ${note}`);
    } catch (error) {
      if (!(error instanceof ResumeError)) throw error;
      printErr(`score: ${error.message}\n`);
      return 2;
    }
  }

  const ids = new OutputIds();
  const outputIds = entries.map((entry) => ids.claim(entry.trajectory.id));
  const hashes = entries.map((entry) => contentHashOf(entry.trajectory));
  const todo = entries.map((_, position) => position).filter((position) => !done.has(hashes[position]));
  const skipped = entries.length - todo.length;
  if (skipped > 0) reporter.info(`${skipped} of ${entries.length} trajectories already in ${command.out}: skipped`, { type: 'resume', skipped });

  const failures: { position: number; reason: string }[] = [];
  let scored = 0;
  let tokens = 0;
  const started = Date.now();
  const where = (position: number) => `${entries[position].file}#${entries[position].index} ${JSON.stringify(entries[position].trajectory.id)}`;
  const sink: LineSink = command.out ? await openLineFile(command.out, command.resume) : await openSink(null);
  const scoreOne = async (position: number) => {
    const { trajectory, file, index } = entries[position];
    // A server tokenizer fetches what the rendering asks for first; the reference's is needed at step level only.
    const serverTokenizers = pair.pairing.level === 'token' ? [pair.policyTokenizer] : [pair.policyTokenizer, pair.referenceTokenizer];
    try {
      await prepareServerTokenizers(serverTokenizers, trajectory, command.render);
      const rendered = renderPrimary(pair, trajectory, command.render);
      const result = await scoreTrajectory(pair, trajectory, { render: command.render, rendered, context: command.context });
      await sink.write(
        scoreRecordLine(result, outputIds[position], trajectory.id, {
          file,
          index,
          trajectoryFormat: trajectory.format,
          scoreLevel: pair.pairing.level,
          policyModel: engines.policy.modelId,
          referenceModel: engines.reference.modelId,
          engines: { policy: engines.policy.description, reference: engines.reference.description },
          execution: loaded.execution,
          server: {
            engine: command.kind,
            policy: { urls: engines.policy.server.urls, model: engines.policy.modelId, tokenizer: loaded.tokenizerLabels.policy },
            reference: { urls: engines.reference.server.urls, model: engines.reference.modelId, tokenizer: loaded.tokenizerLabels.reference },
          },
          render: command.render,
          contextPolicy: command.context,
          contentHash: hashes[position],
        }),
      );
      scored++;
      tokens += result.tokens;
      reportNotScored(reporter, where(position), { file, index, id: trajectory.id }, result.notScored);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push({ position, reason });
      reporter.notice(`error: ${where(position)}: ${reason}`, { type: 'error', file, index, id: trajectory.id, reason });
    } finally {
      releaseServerTokenizers(serverTokenizers, trajectory);
    }
    const finished = scored + failures.length;
    const elapsed = Date.now() - started;
    const left = finished > 0 ? (elapsed / finished) * (todo.length - finished) : 0;
    const line = `${finished}/${todo.length} trajectories, ${Math.round((tokens * 1000) / Math.max(1, elapsed))} tokens/s, about ${duration(left)} left`;
    reporter.status(`score: ${line}`);
    reporter.info(`${where(position)} done; ${line}`, { type: 'progress', trajectoriesDone: finished, trajectories: todo.length, tokens, milliseconds: elapsed, millisecondsLeft: Math.round(left) });
  };

  // Enough trajectories in flight to fill every replica's slots on both sides; the client's slots are the backpressure.
  const inFlight = Math.max(1, command.client.concurrency * (engines.policy.server.urls.length + engines.reference.server.urls.length));
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(inFlight, todo.length) }, async () => {
        while (next < todo.length) await scoreOne(todo[next++]);
      }),
    );
  } finally {
    await sink.close();
  }
  const elapsed = Date.now() - started;
  reporter.info(
    `${scored} scored, ${skipped} skipped (already in the output), ${failures.length} failed of ${entries.length} trajector${entries.length === 1 ? 'y' : 'ies'} in ${duration(elapsed)} (${Math.round((tokens * 1000) / Math.max(1, elapsed))} tokens/s)${command.out ? `; written to ${command.out}` : ''}`,
    { type: 'summary', trajectories: entries.length, scored, skipped, failed: failures.length, tokens, milliseconds: elapsed, out: command.out },
  );
  for (const { position, reason } of failures) reporter.notice(`failed: ${where(position)}: ${reason}`, { type: 'failed', file: entries[position].file, index: entries[position].index, id: entries[position].trajectory.id, reason });
  if (failures.length > 0 && command.out) reporter.notice(`notice: run the same command with --resume to score the ${failures.length} failed trajector${failures.length === 1 ? 'y' : 'ies'} again`);
  return readFailed || failures.length > 0 ? 1 : 0;
}
