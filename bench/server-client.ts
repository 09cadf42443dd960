/**
 * The server engine's client (src/core/engine/server) against test servers that speak vLLM's wire
 * format (tools/fake-vllm.ts) on 127.0.0.1, with seeded numbers instead of a model:
 *
 * - `serverClientTokensPerSecond`: prompt tokens per second the client sustains against a server
 *   that answers at once — building requests, JSON both ways, reading prompt_logprobs — so the
 *   figure bounds what the client adds to a real server's time. The test server runs in the same
 *   process, so its JSON work is counted too: the client alone is faster.
 * - `serverReplicaScaling`: throughput with 4 replicas of a server that takes a fixed time per
 *   request ÷ with 1 replica (the same slots per replica): how well replica selection and
 *   backpressure keep every replica busy. Target ≥ 3.5.
 */
import { createServerEngine, type ClientOptions } from '../src/core/engine/server';
import { startFakeVllm } from '../tools/fake-vllm';
import { syntheticOracle } from '../tools/logprob-oracle';
import type { FakeServer } from '../tools/fake-inference-server';

export const SERVER_GROUPS = { serverClientTokensPerSecond: 'server', serverReplicaScaling: 'server' } as const;

export interface ServerClientDetails {
  instant: { sequences: number; tokensPerSequence: number; concurrency: number; seconds: number; tokensPerSecond: number };
  replicas: { sequences: number; tokensPerSequence: number; latencyMs: number; concurrencyPerReplica: number; secondsWithOne: number; secondsWithFour: number };
}

export interface ServerClientFigures {
  serverClientTokensPerSecond: number;
  serverReplicaScaling: number;
  details: ServerClientDetails;
}

const client = (concurrency: number): ClientOptions => ({ fetch: (url, init) => fetch(url, init), concurrency, timeoutMs: 60_000, retry: { retries: 0, baseDelayMs: 10, maxDelayMs: 10 } });

function sequences(count: number, length: number): number[][] {
  return Array.from({ length: count }, (_, index) => Array.from({ length }, (__, position) => (index * 31 + position * 7) % 1000));
}

/** Seconds to score every sequence once through replicas of one model, `inFlight` at a time. */
async function timeScoring(servers: readonly FakeServer[], concurrency: number, work: readonly number[][]): Promise<number> {
  const engine = await createServerEngine({ kind: 'vllm', urls: servers.map((server) => server.url), model: 'bench', topLogprobs: 0 }, client(concurrency));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: servers.length * concurrency }, async () => {
      while (next < work.length) {
        const tokens = work[next++];
        await engine.score(tokens, [{ start: 1, end: tokens.length }]);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

export async function measureServerClient(quick: boolean): Promise<ServerClientFigures> {
  const oracle = syntheticOracle();
  const start = (count: number, delayMs: number) =>
    Promise.all(Array.from({ length: count }, () => startFakeVllm({ models: { bench: { oracle, maxModelLen: 32_768 } }, faults: { delayMs } })));

  const instantRun = quick ? { sequences: 20, tokensPerSequence: 512, concurrency: 4 } : { sequences: 100, tokensPerSequence: 2048, concurrency: 8 };
  const [instant] = await start(1, 0);
  let instantSeconds: number;
  try {
    await timeScoring([instant], instantRun.concurrency, sequences(4, 64)); // warm-up
    instantSeconds = await timeScoring([instant], instantRun.concurrency, sequences(instantRun.sequences, instantRun.tokensPerSequence));
  } finally {
    await instant.close();
  }
  const tokensPerSecond = Math.round((instantRun.sequences * instantRun.tokensPerSequence) / instantSeconds);

  const replicaRun = { sequences: quick ? 32 : 64, tokensPerSequence: 128, latencyMs: 250, concurrencyPerReplica: 2 };
  const replicas = await start(4, replicaRun.latencyMs);
  let secondsWithOne: number;
  let secondsWithFour: number;
  try {
    const work = sequences(replicaRun.sequences, replicaRun.tokensPerSequence);
    secondsWithOne = await timeScoring(replicas.slice(0, 1), replicaRun.concurrencyPerReplica, work);
    secondsWithFour = await timeScoring(replicas, replicaRun.concurrencyPerReplica, work);
  } finally {
    await Promise.all(replicas.map((server) => server.close()));
  }
  return {
    serverClientTokensPerSecond: tokensPerSecond,
    serverReplicaScaling: Number((secondsWithOne / secondsWithFour).toFixed(2)),
    details: {
      instant: { ...instantRun, seconds: Number(instantSeconds.toFixed(3)), tokensPerSecond },
      replicas: { ...replicaRun, secondsWithOne: Number(secondsWithOne.toFixed(3)), secondsWithFour: Number(secondsWithFour.toFixed(3)) },
    },
  };
}

export function serverTargetLines(figures: ServerClientFigures | null): { label: string; value: string; target: string; met: boolean | null }[] {
  if (!figures) {
    return [
      { label: 'serverClientTokensPerSecond', value: 'not measured', target: 'report', met: null },
      { label: 'serverReplicaScaling', value: 'not measured', target: '≥ 3.5', met: null },
    ];
  }
  const { instant, replicas } = figures.details;
  return [
    {
      label: 'serverClientTokensPerSecond',
      value: `${figures.serverClientTokensPerSecond} (${instant.sequences} prompts of ${instant.tokensPerSequence} tokens, ${instant.concurrency} in flight, against a vLLM-format server that answers at once)`,
      target: 'report',
      met: null,
    },
    {
      label: 'serverReplicaScaling',
      value: `${figures.serverReplicaScaling} (${replicas.sequences} prompts, ${replicas.latencyMs} ms per request, ${replicas.concurrencyPerReplica} slots per replica: ${replicas.secondsWithOne} s on 1 replica, ${replicas.secondsWithFour} s on 4)`,
      target: '≥ 3.5',
      met: figures.serverReplicaScaling >= 3.5,
    },
  ];
}
