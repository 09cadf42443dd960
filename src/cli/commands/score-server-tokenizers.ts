/**
 * The tokenizers of `score --engine vllm|sglang` (docs/servers.md, "Which tokenizer"): the one named
 * with --policy-tokenizer / --reference-tokenizer (a folder or hub id), else the served name when it
 * is a local folder (SGLang serves a path), else the server's own /tokenize and /detokenize
 * (core's ServerTokenizer, asked for the served name). A named one is checked against its server's
 * own tokenization of the served name (checkServerTokenizer), as the app does.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  checkServerTokenizer,
  hintFor,
  namedTokenizerServesBoth,
  pairLabelledTokenizers,
  ReplicaPool,
  ServerTokenizer,
  ServerTokenizerMismatchError,
  ServerTokenizerUnavailableError,
  type ClientOptions,
  type LabelledTokenizer,
  type ServerEngine,
  type ServerKind,
} from '../../core/engine/server';
import { withModelLocation } from '../../core/engine/model-location';
import type { TokenizerLike } from '../../core/engine/types';
import type { RenderMode } from '../../core/render';
import { ModelLoadError, loadPairTokenizers, type ModelSpec } from '../../core/scoring';
import { loadTokenizer } from '../../core/tokenizer';
import { folderLocation } from '../../node/model-files';

/** A tokenizer argument as a folder or a hub id. */
async function tokenizerSpec(name: string): Promise<ModelSpec> {
  const path = resolve(name);
  if ((await stat(path).catch(() => null))?.isDirectory()) return { location: folderLocation(path), label: `folder ${path}`, remote: false };
  return { location: { modelId: name }, label: `hub model "${name}"`, remote: true };
}

/** The tokenizer named for a side; else the served name when it is a local folder (SGLang serves a path); else null: the server's own. */
async function namedTokenizer(named: string | undefined, served: string): Promise<ModelSpec | null> {
  if (named !== undefined) return tokenizerSpec(named);
  const path = resolve(served);
  return (await stat(path).catch(() => null))?.isDirectory() ? { location: folderLocation(path), label: `folder ${path}`, remote: false } : null;
}

/**
 * Each side's tokenizer and how they pair. Named ones (or served names that are folders) load as
 * for the local engine; a side without one tokenizes through its server (ServerTokenizer), which
 * is asked for the served name, so an unknown name or a missing endpoint fails here.
 */
export async function loadServedTokenizers(
  command: { kind: ServerKind; render: RenderMode; policy: { tokenizer: string | undefined }; reference: { tokenizer: string | undefined } },
  engines: { policy: ServerEngine; reference: ServerEngine },
  client: ClientOptions,
) {
  const specs = { policy: await namedTokenizer(command.policy.tokenizer, engines.policy.modelId), reference: await namedTokenizer(command.reference.tokenizer, engines.reference.modelId) };
  const pools = { policy: new ReplicaPool(engines.policy.server.urls, client, hintFor(command.kind)), reference: new ReplicaPool(engines.reference.server.urls, client, hintFor(command.kind)) };
  // A named tokenizer is checked against its server's own tokenization of the served name (a mismatch stops the job).
  const notices: string[] = [];
  const check = async (side: 'policy' | 'reference', tokenizer: TokenizerLike, label: string) => {
    try {
      const outcome = await checkServerTokenizer(command.kind, engines[side].modelId, tokenizer, pools[side], label);
      if (outcome.agrees === null) notices.push(`${side}: ${outcome.reason}`);
    } catch (error) {
      if (error instanceof ServerTokenizerMismatchError) throw new ModelLoadError(`the ${side} model: ${error.message}`);
      throw new ModelLoadError(`the ${side} model: checking its tokenizer against the server failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const loadNamed = async (side: 'policy' | 'reference', spec: ModelSpec): Promise<LabelledTokenizer> => {
    let tokenizer: TokenizerLike;
    try {
      tokenizer = await withModelLocation(spec.location, (id) => loadTokenizer(id));
    } catch (error) {
      throw new ModelLoadError(`cannot load the ${side} tokenizer from the ${spec.label}: ${error instanceof Error ? error.message : String(error)}`);
    }
    await check(side, tokenizer, spec.label);
    return { tokenizer, label: spec.label };
  };
  if (specs.policy && specs.reference) {
    const tokenizers = await loadPairTokenizers({ policy: specs.policy, reference: specs.reference, dtype: 'server' });
    await check('policy', tokenizers.policyTokenizer!, specs.policy.label);
    await check('reference', tokenizers.referenceTokenizer, specs.reference.label);
    return { ...tokenizers, labels: { policy: specs.policy.label, reference: specs.reference.label }, notices };
  }
  // A tokenizer named for one side serves the other too when it tokenizes as that side's server (token-level scores).
  const namedSide = specs.policy ? 'policy' : specs.reference ? 'reference' : null;
  let named: LabelledTokenizer | null = null;
  if (namedSide) {
    const otherSide = namedSide === 'policy' ? 'reference' : 'policy';
    named = await loadNamed(namedSide, specs[namedSide]!);
    let servesBoth: boolean;
    try {
      servesBoth = await namedTokenizerServesBoth(named, { kind: command.kind, model: engines[otherSide].modelId, pool: pools[otherSide] });
    } catch (error) {
      throw new ModelLoadError(`the ${otherSide} model: checking the ${namedSide}'s tokenizer against its server failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (servesBoth) {
      const shared = `${named.label} (it tokenizes as the ${otherSide} server's ${JSON.stringify(engines[otherSide].modelId)})`;
      const labels = namedSide === 'policy' ? { policy: named.label, reference: shared } : { policy: shared, reference: named.label };
      return { policyTokenizer: named.tokenizer, referenceTokenizer: named.tokenizer, pairing: { level: 'token' as const, relation: 'identical' as const }, labels, notices };
    }
  }
  if (command.render === 'chat' && command.kind === 'sglang') {
    const side = specs.policy ? 'reference' : 'policy';
    throw new ServerTokenizerUnavailableError(`SGLang's /tokenize does not apply chat templates: with --render chat name the ${side}'s tokenizer (--${side}-tokenizer DIR|HUB_ID), or render plain`);
  }
  const load = async (side: 'policy' | 'reference'): Promise<LabelledTokenizer> => {
    const spec = specs[side];
    if (spec) return side === namedSide && named ? named : loadNamed(side, spec);
    const engine = engines[side];
    try {
      const tokenizer = await ServerTokenizer.connect({ kind: command.kind, model: engine.modelId, where: engine.server.urls.join(', ') }, pools[side]);
      return { tokenizer, label: tokenizer.label };
    } catch (error) {
      if (error instanceof ServerTokenizerUnavailableError) throw error;
      throw new ModelLoadError(`cannot tokenize through the ${side} server: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const policy = await load('policy');
  const reference = await load('reference');
  return { policyTokenizer: policy.tokenizer, referenceTokenizer: reference.tokenizer, pairing: pairLabelledTokenizers(policy, reference), labels: { policy: policy.label, reference: reference.label }, notices };
}
