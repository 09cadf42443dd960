/**
 * The demo models' word-level tokenizer, and the one way episodes become token ids.
 *
 * A conversation is rendered exactly as the model folder's chat template renders it (the model
 * builder's default template): `<bos>` then `role: content\n` for every message, and `assistant:`
 * as the generation prompt. The same ids come out of transformers.js' `apply_chat_template` on the
 * exported `tokenizer.json` / `tokenizer_config.json` (tested), so what the models were trained on
 * is what the app scores.
 *
 * An agent step is the tokens the agent writes after `assistant:`: its content pieces (each with its
 * leading space) and the end-of-step token `\n`. Generation stops at `\n` or after
 * {@link MAX_ACTION_TOKENS} tokens; whatever was written is then the step's content.
 */
import { SPECIAL_TOKENS, SPECIAL_TOKEN_COUNT, SPECIAL_TOKEN_IDS, splitIntoPieces, wordLevelVocabularyFromTexts } from './word-level-tokenizer';
import { VALID_ACTIONS, allEnvironmentTexts, type DemoMessage, type DemoRole, type ValidAction } from './environment';

const ROLES: readonly DemoRole[] = ['system', 'user', 'assistant', 'tool'];

export const END_OF_STEP = '\n';
/** Longest agent step in tokens, end-of-step token included: valid actions take 3 (verb, argument, `\n`). */
export const MAX_ACTION_TOKENS = 4;

function messageText(message: DemoMessage): string {
  return `${message.role}: ${message.content}${END_OF_STEP}`;
}

/**
 * The ordinary pieces (ids from SPECIAL_TOKEN_COUNT on), in a fixed order: every piece of every
 * `role: text` line the environment or a valid agent can write, under every role.
 */
export const DEMO_VOCABULARY: readonly string[] = wordLevelVocabularyFromTexts(
  ROLES.flatMap((role) => allEnvironmentTexts().map((content) => messageText({ role, content }))),
);

export const DEMO_VOCAB_SIZE = SPECIAL_TOKEN_COUNT + DEMO_VOCABULARY.length;

const idOfPiece = new Map<string, number>(DEMO_VOCABULARY.map((piece, index) => [piece, SPECIAL_TOKEN_COUNT + index]));
const pieceOfId: string[] = [SPECIAL_TOKENS.pad, SPECIAL_TOKENS.bos, SPECIAL_TOKENS.eos, SPECIAL_TOKENS.unk, ...DEMO_VOCABULARY];

export const BOS_ID = SPECIAL_TOKEN_IDS.bos;
export const END_OF_STEP_ID = idOfPiece.get(END_OF_STEP)!;

/** Token ids of text (no special tokens added); pieces outside the vocabulary become `<unk>`. */
export function encodeText(text: string): number[] {
  return splitIntoPieces(text).map((piece) => idOfPiece.get(piece) ?? SPECIAL_TOKEN_IDS.unk);
}

export function pieceOf(id: number): string {
  const piece = pieceOfId[id];
  if (piece === undefined) throw new Error(`Token id ${id} is outside the demo vocabulary (size ${DEMO_VOCAB_SIZE})`);
  return piece;
}

/** The generation prompt that opens every agent step. */
export const AGENT_HEADER_IDS: readonly number[] = encodeText('assistant:');

/** Ids of `<bos>` and the messages, each as `role: content\n`. */
export function encodeConversation(messages: readonly DemoMessage[]): number[] {
  return [BOS_ID, ...encodeText(messages.map(messageText).join(''))];
}

/** The prompt for the agent's next step: the conversation followed by `assistant:`. */
export function encodeAgentPrompt(messages: readonly DemoMessage[]): number[] {
  return [...encodeConversation(messages), ...AGENT_HEADER_IDS];
}

/** The tokens of a valid action as the agent writes it: content pieces then the end-of-step token. */
export function actionTokenIds(action: ValidAction | string): number[] {
  return encodeText(` ${action}${END_OF_STEP}`);
}

export const VALID_ACTION_TOKEN_IDS: readonly (readonly number[])[] = VALID_ACTIONS.map(actionTokenIds);

/**
 * The message content for the tokens an agent wrote in one step (end-of-step token excluded): the
 * pieces joined, minus the one leading space that the template's `: ` already writes.
 */
export function contentOfActionTokens(ids: readonly number[]): string {
  const text = ids.map(pieceOf).join('');
  return text.startsWith(' ') ? text.slice(1) : text;
}

export interface ConversationTokens {
  ids: number[];
  /**
   * For each agent message (in message order): the token positions of its header (`assistant:`), and of
   * the step the agent wrote (content and end-of-step token), as [start, end).
   */
  agentSpans: { messageIndex: number; headerStart: number; actionStart: number; end: number }[];
}

/**
 * The conversation's ids (exactly {@link encodeConversation}), with the span of every agent message.
 * Spans come from the pieces' character offsets in the whole text: a message's last piece can depend
 * on what follows (an empty step renders `assistant: ` + `\n`, whose space is a piece of its own only
 * in context), so messages are never tokenized on their own.
 */
export function tokenizeConversation(messages: readonly DemoMessage[]): ConversationTokens {
  const texts = messages.map(messageText);
  const pieces = splitIntoPieces(texts.join(''));
  const ids: number[] = [BOS_ID, ...pieces.map((piece) => idOfPiece.get(piece) ?? SPECIAL_TOKEN_IDS.unk)];
  /** Character offset of each piece in the whole text. */
  const pieceStarts: number[] = [];
  let offset = 0;
  for (const piece of pieces) {
    pieceStarts.push(offset);
    offset += piece.length;
  }
  /** Index in `ids` of the first piece starting at or after a character offset, which must be a piece boundary. */
  const tokenAt = (characterOffset: number): number => {
    let index = pieceStarts.findIndex((start) => start >= characterOffset);
    if (index < 0) index = pieces.length;
    if (index > 0 && pieceStarts[index - 1] + pieces[index - 1].length > characterOffset) {
      throw new Error(`tokenizeConversation: a piece crosses character ${characterOffset}, a message or header boundary`);
    }
    return 1 + index; // after <bos>
  };
  const agentSpans: ConversationTokens['agentSpans'] = [];
  let messageStart = 0;
  messages.forEach((message, messageIndex) => {
    if (message.role === 'assistant') {
      agentSpans.push({
        messageIndex,
        headerStart: tokenAt(messageStart),
        actionStart: tokenAt(messageStart + 'assistant:'.length),
        end: tokenAt(messageStart + texts[messageIndex].length),
      });
    }
    messageStart += texts[messageIndex].length;
  });
  return { ids, agentSpans };
}
