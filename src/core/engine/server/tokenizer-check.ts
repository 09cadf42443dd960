/**
 * Whether the tokenizer a client renders with tokenizes as the served model does. Servers are sent
 * token ids, so a tokenizer that is not the model's own (another model's, another revision's with
 * other special tokens) gives figures for tokens the model never meant: no error, just wrong
 * numbers. The check tokenizes a few probe texts here and on the server, through the server's own
 * endpoint for the served model name (vLLM `POST /tokenize`, vllm/entrypoints/openai/protocol.py
 * `TokenizeCompletionRequest`; SGLang `POST /tokenize` = `/v1/tokenize`,
 * python/sglang/srt/entrypoints/http_server.py `openai_v1_tokenize`: both take `{model, prompt,
 * add_special_tokens}` and answer `{tokens, count, max_model_len}`), and compares the ids.
 */
import { z } from 'zod';
import type { TokenizerLike } from '../types';
import { ServerRequestError, type ReplicaPool } from './client';
import { SERVER_NAMES } from './connect';
import type { ServerKind } from './wire';

/** Texts that exercise word pieces, whitespace runs, code, digits, accents, CJK and an emoji. */
export const TOKENIZER_PROBES: readonly string[] = [
  'The quick brown fox jumps over the lazy dog.',
  'def refund(order_id: int) -> dict:\n    return {"status": "refunded", "amount": 42.50}  # ok',
  '  naïve café — 東京で会いましょう 🙂\tTabs\tand  spaces',
  'user: I want a refund for order 42.\nassistant: lookup_order(42)',
];

const tokenizeAnswerSchema = z.looseObject({ tokens: z.array(z.int()) });

export type ServerTokenizerCheck = { agrees: true; probes: number } | { agrees: null; reason: string };

/** The tokenizer does not tokenize as the served model: the message shows the first difference. */
export class ServerTokenizerMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerTokenizerMismatchError';
  }
}

function firstDifference(local: readonly number[], served: readonly number[]): number {
  let index = 0;
  while (index < local.length && index < served.length && local[index] === served[index]) index++;
  return index;
}

const shown = (ids: readonly number[], from: number) => `[${ids.slice(Math.max(0, from - 2), from + 4).join(', ')}${from + 4 < ids.length ? ', …' : ''}]`;

/**
 * Compares `tokenizer` with the server's tokenization of TOKENIZER_PROBES for `model`. Agrees, or
 * throws ServerTokenizerMismatchError; `agrees: null` when the server has no tokenize endpoint
 * (404 / 405: nothing to compare with, said to the user rather than assumed).
 */
export async function checkServerTokenizer(kind: ServerKind, model: string, tokenizer: Pick<TokenizerLike, 'encode'>, pool: ReplicaPool, tokenizerLabel: string): Promise<ServerTokenizerCheck> {
  const name = SERVER_NAMES[kind];
  for (const probe of TOKENIZER_PROBES) {
    let served: number[];
    try {
      served = await pool.post('/tokenize', { model, prompt: probe, add_special_tokens: false }, (body) => tokenizeAnswerSchema.parse(body).tokens);
    } catch (error) {
      if (error instanceof ServerRequestError && (error.status === 404 || error.status === 405) && !/model/i.test(error.serverMessage)) {
        return { agrees: null, reason: `the ${name} server has no tokenize endpoint (${error.status}), so the tokenizer (${tokenizerLabel}) was not checked against ${JSON.stringify(model)}` };
      }
      throw error;
    }
    const local = tokenizer.encode(probe);
    if (local.length !== served.length || local.some((id, index) => id !== served[index])) {
      const at = firstDifference(local, served);
      throw new ServerTokenizerMismatchError(
        `the tokenizer (${tokenizerLabel}) does not tokenize as the ${name} server's ${JSON.stringify(model)} does: for ${JSON.stringify(probe)} it gives ${local.length} tokens, ` +
          `the server ${served.length}, first differing at token ${at}: ${shown(local, at)} here, ${shown(served, at)} there. Name the model's own tokenizer (its hub id or folder): the server is sent token ids`,
      );
    }
  }
  return { agrees: true, probes: TOKENIZER_PROBES.length };
}
