/**
 * Log-probs of the shipped demo model files, computed by onnxruntime-node: the numbers the
 * verification compares with the exact A*. (The app will compute the same through its own engine.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DemoEpisode, DemoMessage } from '../../src/demo/environment';
import { logSoftmax } from '../../src/demo/gpt2-inference';
import { actionTokenIds, encodeAgentPrompt, tokenizeConversation } from '../../src/demo/tokenizer';
import { SPECIAL_TOKEN_IDS } from '../../src/demo/word-level-tokenizer';
import { ONNX_FILE_BY_WEIGHT_FORMAT, type Gpt2WeightFormat } from '../model-builder/gpt2-onnx';

interface ModelConfigJson {
  n_layer: number;
  n_head: number;
  n_embd: number;
  vocab_size: number;
}

/** Summed log-probs of one agent step, over its action tokens (content and end-of-step) and over its `assistant:` header. */
export interface StepLogProb {
  action: number;
  header: number;
}

export class OnnxDemoModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ModelConfigJson,
    readonly file: string,
  ) {}

  static async load(folder: string, format: Gpt2WeightFormat = 'fp32'): Promise<OnnxDemoModel> {
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as ModelConfigJson;
    const file = join(folder, ONNX_FILE_BY_WEIGHT_FORMAT[format]);
    const session = await ort.InferenceSession.create(await readFile(file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new OnnxDemoModel(session, config, file);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  /**
   * For each sequence, log p(ids[t] | ids[<t]) for t = 1 … length − 1 (sequences of different lengths
   * are right-padded and masked).
   */
  async sequenceLogProbs(sequences: readonly (readonly number[])[]): Promise<number[][]> {
    const batch = sequences.length;
    const length = Math.max(...sequences.map((sequence) => sequence.length));
    const inputIds = new BigInt64Array(batch * length).fill(BigInt(SPECIAL_TOKEN_IDS.pad));
    const mask = new BigInt64Array(batch * length);
    const positions = new BigInt64Array(batch * length);
    sequences.forEach((sequence, row) => {
      sequence.forEach((id, t) => {
        inputIds[row * length + t] = BigInt(id);
        mask[row * length + t] = 1n;
      });
      for (let t = 0; t < length; t++) positions[row * length + t] = BigInt(t);
    });
    const headDim = this.config.n_embd / this.config.n_head;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', inputIds, [batch, length]),
      attention_mask: new ort.Tensor('int64', mask, [batch, length]),
      position_ids: new ort.Tensor('int64', positions, [batch, length]),
    };
    for (let layer = 0; layer < this.config.n_layer; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [batch, this.config.n_head, 0, headDim]);
      }
    }
    const output = await this.session.run(feeds, ['logits']);
    const logits = output.logits.data as Float32Array;
    const vocab = this.config.vocab_size;
    return sequences.map((sequence, row) => {
      const scores: number[] = [];
      for (let t = 1; t < sequence.length; t++) {
        const offset = (row * length + t - 1) * vocab;
        scores.push(logSoftmax(logits.subarray(offset, offset + vocab))[sequence[t]]);
      }
      return scores;
    });
  }

  /** The log-prob of each action string after `messages` (one batched run). */
  async actionLogProbs(messages: readonly DemoMessage[], actions: readonly string[]): Promise<number[]> {
    const prompt = encodeAgentPrompt(messages);
    const scores = await this.sequenceLogProbs(actions.map((action) => [...prompt, ...actionTokenIds(action)]));
    return scores.map((tokenScores) => tokenScores.slice(prompt.length - 1).reduce((sum, value) => sum + value, 0));
  }

  /** Every agent step's summed log-probs in an episode, rendered as the app renders it (chat template). */
  async stepLogProbs(episode: DemoEpisode): Promise<StepLogProb[]> {
    const { ids, agentSpans } = tokenizeConversation(episode.messages);
    const [scores] = await this.sequenceLogProbs([ids]);
    const sum = (from: number, to: number) => scores.slice(from - 1, to - 1).reduce((total, value) => total + value, 0);
    return agentSpans.map((span) => ({ action: sum(span.actionStart, span.end), header: sum(span.headerStart, span.actionStart) }));
  }
}
