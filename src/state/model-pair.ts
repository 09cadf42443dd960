/**
 * Who scored a result, as exports name it: both models (hub ids, folder names, or the embedded
 * demo pair and its build), where they came from, the dtype, the render mode and β. Pure helpers
 * shared by the scoring store (which writes the names into each record it receives, so that they
 * travel with it: score cache, session, bundles) and by the exports (state/bundles.ts, ui/share).
 */
import type { ModelPairDescription } from '../core/bundle';
import type { ScoreRecord } from '../core/scores/format';
import type { ModelDtype, RenderMode } from '../core/settings';

/** The servers of a pair scored through vLLM / SGLang, as the CLI's records name them (`server`: cli/commands/score-server.ts). */
export interface ServerProvenance {
  engine: 'vllm' | 'sglang';
  policy: { urls: string[]; model: string };
  reference: { urls: string[]; model: string };
}

/** The loaded pair's models by name, and where they came from. */
export interface PairModels {
  source: NonNullable<ModelPairDescription['source']>;
  policy: string;
  reference: string;
  /** The app build of the embedded demo pair. */
  build?: string;
  /** A served pair's engine, URLs and served model names. */
  server?: ServerProvenance;
}

/** The description of a pair loaded in this page: its models, the dtype it was loaded with, the render mode and the engines. */
export function pairDescriptionOf(models: PairModels, dtype: ModelDtype, render: RenderMode, engines?: { policy: string; reference: string }): ModelPairDescription {
  return {
    policy: models.policy,
    reference: models.reference,
    source: models.source,
    ...(models.build !== undefined ? { build: models.build } : {}),
    // A served pair runs in whatever dtype its servers run (the CLI's records say 'server' too).
    dtype: models.source === 'server' ? 'server' : dtype,
    render,
    ...(engines ? { engines } : {}),
  };
}

/**
 * The record with its pair's names written in (model names, source, build, dtype, render, engines)
 * and, for a pair loaded in this page, how each model ran (`execution`) and, for a served pair,
 * the servers (`server`: engine, URLs, served names, as the CLI writes it), so that they travel with it.
 */
export function recordWithProvenance(record: ScoreRecord, pair: ModelPairDescription | null, execution?: ScoreRecord['execution'], server?: ServerProvenance): ScoreRecord {
  if (!pair) return record;
  return {
    ...(execution ? { execution } : {}),
    ...(server ? { server } : {}),
    ...record,
    policyModel: pair.policy,
    referenceModel: pair.reference,
    ...(pair.source ? { modelSource: pair.source } : {}),
    ...(pair.build ? { modelBuild: pair.build } : {}),
    ...(pair.dtype ? { dtype: pair.dtype } : {}),
    ...(pair.render ? { render: pair.render } : {}),
    ...(pair.engines ? { engines: pair.engines } : {}),
  };
}

const SOURCES: readonly string[] = ['demo', 'hub', 'folders', 'server'] satisfies readonly PairModels['source'][];

/**
 * The pair a record names (its provenance keys, as recordWithProvenance and the CLI's `score`
 * write them), or null when it names none. `source` is set only for records this app named.
 */
export function pairFromRecord(r: ScoreRecord): ModelPairDescription | null {
  if (typeof r.policyModel !== 'string' || r.policyModel === '' || typeof r.referenceModel !== 'string' || r.referenceModel === '') return null;
  const engines = r.engines as { policy?: unknown; reference?: unknown } | undefined;
  return {
    policy: r.policyModel,
    reference: r.referenceModel,
    ...(typeof r.modelSource === 'string' && SOURCES.includes(r.modelSource) ? { source: r.modelSource as PairModels['source'] } : {}),
    ...(typeof r.modelBuild === 'string' && r.modelBuild !== '' ? { build: r.modelBuild } : {}),
    ...(typeof r.dtype === 'string' ? { dtype: r.dtype } : {}),
    ...(r.render === 'plain' || r.render === 'chat' ? { render: r.render } : {}),
    ...(engines && typeof engines.policy === 'string' && typeof engines.reference === 'string' ? { engines: { policy: engines.policy, reference: engines.reference } } : {}),
  };
}

const SOURCE_WORDS: Record<PairModels['source'], string> = { demo: 'embedded demo pair', hub: 'Hugging Face hub', folders: 'dropped folders', server: 'vLLM / SGLang server' };

/**
 * The pair in words, as reports, images and snippet links name it:
 * `policy P · reference R (embedded demo pair, build B) · fp32 · plain rendering · β = 0.5`.
 * `beta` (the analysis setting at export) is used when the pair carries none. "β = 0.5" is held
 * together by no-break spaces: an image's wrapped header does not split it.
 */
export function describeModelPair(pair: ModelPairDescription | null, beta?: number): string {
  if (!pair) return 'precomputed scores (the score file names no model pair)';
  const origin = pair.source ? ` (${SOURCE_WORDS[pair.source]}${pair.build ? `, build ${pair.build}` : ''})` : pair.build ? ` (build ${pair.build})` : '';
  const b = pair.beta ?? beta;
  return `policy ${pair.policy} · reference ${pair.reference}${origin}${pair.dtype ? ` · ${pair.dtype}` : ''}${pair.render ? ` · ${pair.render} rendering` : ''}${b !== undefined ? ` · β\u00a0=\u00a0${b}` : ''}`;
}
