/**
 * A word-level tokenizer in the Hugging Face `tokenizer.json` format (loadable by transformers.js and by
 * the Python `tokenizers` library).
 *
 * Text is cut into pieces GPT-2 style: a run of letters, a single digit or a single other symbol, each
 * optionally carrying one leading space, and whitespace runs on their own (a run before a word leaves its
 * last space to the word). Every piece maps to one vocabulary entry (or `<unk>`), and decoding simply
 * concatenates the pieces (`Fuse`), so encode → decode returns the exact input for in-vocabulary text.
 */

export const SPECIAL_TOKENS = {
  pad: '<pad>',
  bos: '<bos>',
  eos: '<eos>',
  unk: '<unk>',
} as const;

/** Special tokens take the first ids, in this order. */
export const SPECIAL_TOKEN_IDS = { pad: 0, bos: 1, eos: 2, unk: 3 } as const;
export const SPECIAL_TOKEN_COUNT = 4;

/**
 * The piece pattern, in a syntax that JavaScript (`u` flag) and Oniguruma (Rust `tokenizers`) read alike.
 * Alternatives are tried in order at each position, so it partitions any string.
 */
export const PIECE_PATTERN = String.raw` ?\p{L}+| ?\p{N}| ?[^\s\p{L}\p{N}]|\s+(?!\S)|\s+`;

const pieceRegex = new RegExp(PIECE_PATTERN, 'gu');

/** The pieces the tokenizer's pre-tokenizer produces for `text`, in order; they concatenate back to `text`. */
export function splitIntoPieces(text: string): string[] {
  return Array.from(text.matchAll(pieceRegex), (match) => match[0]);
}

/** Every distinct piece of the texts, in order of first appearance: a vocabulary that covers them. */
export function wordLevelVocabularyFromTexts(texts: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const text of texts) for (const piece of splitIntoPieces(text)) seen.add(piece);
  return [...seen];
}

const FILLER_WORDS = [
  'the', 'a', 'an', 'and', 'or', 'to', 'of', 'in', 'on', 'is', 'it', 'that', 'this', 'was', 'for', 'with',
  'as', 'be', 'at', 'by', 'not', 'are', 'from', 'but', 'have', 'you', 'we', 'they', 'i', 'he', 'she',
  'what', 'which', 'can', 'will', 'do', 'if', 'so', 'no', 'yes', 'file', 'run', 'test', 'code', 'error',
  'user', 'assistant', 'system', 'tool', 'call', 'result', 'hello', 'world', 'step', 'done', 'fix', 'bug',
];
const FILLER_SYMBOLS = ['.', ',', ':', ';', '!', '?', "'", '"', '(', ')', '[', ']', '{', '}', '-', '_', '/', '=', '+', '*', '<', '>', '#'];
const SYLLABLE_ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
const SYLLABLE_VOWELS = ['a', 'e', 'i', 'o', 'u'];

/**
 * A deterministic vocabulary of exactly `size` pieces for random test models: whitespace, symbols and
 * digits (bare and space-prefixed), common English words, then made-up syllable words, each word both
 * bare and with a leading space.
 */
export function syntheticVocabulary(size: number): string[] {
  if (!Number.isInteger(size) || size < 0) throw new Error(`syntheticVocabulary: size must be a non-negative integer, got ${size}`);
  const pieces = new Set<string>();
  const add = (...candidates: string[]) => {
    for (const candidate of candidates) if (pieces.size < size) pieces.add(candidate);
  };
  add(' ', '\n', '  ', '\n\n');
  for (const symbol of FILLER_SYMBOLS) add(symbol, ` ${symbol}`);
  for (let digit = 0; digit <= 9; digit++) add(String(digit), ` ${digit}`);
  for (const word of FILLER_WORDS) add(word, ` ${word}`);
  for (let length = 1; pieces.size < size; length++) {
    // All syllable words of `length` syllables, in a fixed order (some repeat a filler word; the set drops those).
    let words = [''];
    for (let syllable = 0; syllable < length; syllable++) {
      words = words.flatMap((prefix) => SYLLABLE_ONSETS.flatMap((onset) => SYLLABLE_VOWELS.map((vowel) => prefix + onset + vowel)));
    }
    for (const word of words) add(word, ` ${word}`);
  }
  return [...pieces];
}

export interface WordLevelTokenizerOptions {
  /** Prepend `<bos>` when encoding with special tokens (transformers.js' default). Default true. */
  addBosToken?: boolean;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

type TemplatePiece = { SpecialToken: { id: string; type_id: number } } | { Sequence: { id: 'A' | 'B'; type_id: number } };

export interface WordLevelTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: { type: 'Split'; pattern: { Regex: string }; behavior: 'Isolated'; invert: false };
  post_processor: null | {
    type: 'TemplateProcessing';
    single: TemplatePiece[];
    pair: TemplatePiece[];
    special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>;
  };
  decoder: { type: 'Fuse' };
  model: { type: 'WordLevel'; vocab: Record<string, number>; unk_token: string };
}

function specialTokenEntries(): Array<[string, number]> {
  return (Object.keys(SPECIAL_TOKEN_IDS) as Array<keyof typeof SPECIAL_TOKEN_IDS>).map((key) => [SPECIAL_TOKENS[key], SPECIAL_TOKEN_IDS[key]]);
}

/**
 * The `tokenizer.json` object for `vocabulary` (the ordinary pieces; they get ids from
 * {@link SPECIAL_TOKEN_COUNT} on, in order). Each entry must be one piece as {@link splitIntoPieces}
 * cuts text, since anything else could never be produced by the pre-tokenizer.
 */
export function buildWordLevelTokenizerJson(vocabulary: readonly string[], options: WordLevelTokenizerOptions = {}): WordLevelTokenizerJson {
  const addBosToken = options.addBosToken ?? true;
  const vocab: Record<string, number> = Object.create(null);
  for (const [content, id] of specialTokenEntries()) vocab[content] = id;
  vocabulary.forEach((piece, index) => {
    if (piece in vocab) throw new Error(`Tokenizer vocabulary: duplicate or reserved entry ${JSON.stringify(piece)}`);
    const pieces = splitIntoPieces(piece);
    if (pieces.length !== 1 || pieces[0] !== piece) {
      throw new Error(`Tokenizer vocabulary: ${JSON.stringify(piece)} is not a single piece (splits into ${JSON.stringify(pieces)})`);
    }
    vocab[piece] = SPECIAL_TOKEN_COUNT + index;
  });

  const bos = SPECIAL_TOKENS.bos;
  const sequence = (id: 'A' | 'B'): TemplatePiece => ({ Sequence: { id, type_id: 0 } });
  const bosPiece: TemplatePiece = { SpecialToken: { id: bos, type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokenEntries().map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: PIECE_PATTERN }, behavior: 'Isolated', invert: false },
    post_processor: addBosToken
      ? {
          type: 'TemplateProcessing',
          single: [bosPiece, sequence('A')],
          pair: [bosPiece, sequence('A'), sequence('B')],
          special_tokens: { [bos]: { id: bos, ids: [SPECIAL_TOKEN_IDS.bos], tokens: [bos] } },
        }
      : null,
    decoder: { type: 'Fuse' },
    model: { type: 'WordLevel', vocab, unk_token: SPECIAL_TOKENS.unk },
  };
}

/** Renders each message as `role: content` on its own line; the generation prompt is `assistant:`. */
export function defaultChatTemplate(options: WordLevelTokenizerOptions = {}): string {
  const bosPrefix = (options.addBosToken ?? true) ? '{{ bos_token }}' : '';
  return (
    bosPrefix +
    "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}"
  );
}

/** The `tokenizer_config.json` object matching {@link buildWordLevelTokenizerJson}. */
export function buildTokenizerConfigJson(
  options: WordLevelTokenizerOptions & { modelMaxLength: number; chatTemplate?: string },
): Record<string, unknown> {
  const addedTokensDecoder: Record<string, Omit<AddedTokenJson, 'id'>> = {};
  for (const [content, id] of specialTokenEntries()) {
    addedTokensDecoder[String(id)] = { content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  }
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: SPECIAL_TOKENS.bos,
    eos_token: SPECIAL_TOKENS.eos,
    unk_token: SPECIAL_TOKENS.unk,
    pad_token: SPECIAL_TOKENS.pad,
    add_bos_token: options.addBosToken ?? true,
    add_eos_token: false,
    // Cleanup would delete the space before punctuation pieces like " ," and break the round trip.
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength,
    added_tokens_decoder: addedTokensDecoder,
    chat_template: options.chatTemplate ?? defaultChatTemplate(options),
  };
}
