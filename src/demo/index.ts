/**
 * The embedded demo (docs/demo.md): a stochastic customer-support environment written as text, the
 * word-level tokenizer and forward pass of its two small GPT-2 models, the exact KL-regularised
 * solver over the environment's history tree, and the verification of β·log(π_θ/π_ref) = A*.
 * A layer above src/core (`demo verify` of the CLI uses it); it imports src/core only, and nothing in
 * src/core imports it. Training the pair is lab code (lab/demo).
 */
export {
  DEMO_BETA,
  DEMO_EPISODES_FILE,
  DEMO_HELD_OUT_SEED,
  DEMO_MODEL_CONFIG,
  DEMO_POLICY_FOLDER,
  DEMO_REFERENCE_FOLDER,
  DEMO_TRAINING_RECORD,
  DEMO_TRAINING_SEED,
  longestTrainingSequence,
} from './config';
export {
  DEMO_TASKS,
  HORIZON,
  LOOKUP_FAILURE_PROBABILITY,
  OBSERVATION_TEXT,
  SYSTEM_PROMPT,
  VALID_ACTIONS,
  allEnvironmentTexts,
  episodeRecord,
  initialMessages,
  initialState,
  parseAction,
  runEpisode,
  sampleOutcome,
  stateOfHistory,
  stepOutcomes,
  successStillPossible,
  taskOf,
  type DemoAgent,
  type DemoEpisode,
  type DemoEpisodeRecord,
  type DemoMessage,
  type DemoRole,
  type DemoState,
  type DemoTask,
  type EpisodeStep,
  type OrderStatus,
  type Outcome,
  type Preference,
  type RequestKind,
  type ValidAction,
} from './environment';
export { episodesJsonLines, sampleMixedEpisodes, type EpisodesPerTask } from './episodes';
export { Gpt2Model, Gpt2Sequence, logSoftmax } from './gpt2-inference';
export {
  DEFAULT_LAYER_NORM_EPSILON,
  gpt2WeightShapes,
  headDimOf,
  layerNormEpsilonOf,
  mlpDimOf,
  validateGpt2Config,
  validateGpt2Weights,
  type Gpt2Config,
  type Gpt2LayerWeights,
  type Gpt2Weights,
} from './gpt2-weights';
export { buildAllTaskTrees, buildTaskTree, historyKey, type DemoDecisionNode } from './history-tree';
export { modelActionLogProbs, modelAgent, sampleModelEpisode, type SampledStep } from './model-agent';
export { NOISE, noisyAgent, noisyAgentDistribution } from './noisy-agent';
export { gpt2WeightsFromOnnx } from './onnx-weights';
export { deriveSeed, normalFrom, sampleIndex, seededUniform, type Uniform } from './random';
export {
  collectNodes,
  distributionFromLogProbs,
  evaluatePolicy,
  optimalLogProbs,
  referenceLogProbsOf,
  scoreNodes,
  softValue,
  solveSoftOptimal,
  type ActionDistribution,
  type ActionLogProbs,
  type DecisionBranch,
  type DecisionNode,
  type DecisionOutcome,
  type NodeSolution,
  type PolicyEvaluation,
  type SoftSolution,
} from './solver';
export {
  AGENT_HEADER_IDS,
  BOS_ID,
  DEMO_VOCABULARY,
  DEMO_VOCAB_SIZE,
  END_OF_STEP,
  END_OF_STEP_ID,
  MAX_ACTION_TOKENS,
  VALID_ACTION_TOKEN_IDS,
  actionTokenIds,
  contentOfActionTokens,
  encodeAgentPrompt,
  encodeConversation,
  encodeText,
  pieceOf,
  tokenizeConversation,
  type ConversationTokens,
} from './tokenizer';
export {
  agreementOf,
  compareEpisodes,
  exactStepAdvantages,
  pearson,
  verifyDemoPair,
  type ActionScorer,
  type AdvantageAgreement,
  type DemoVerification,
  type DemoVerificationInputs,
  type EpisodeStepScorer,
  type StepComparison,
} from './verify';
export {
  PIECE_PATTERN,
  SPECIAL_TOKENS,
  SPECIAL_TOKEN_COUNT,
  SPECIAL_TOKEN_IDS,
  buildTokenizerConfigJson,
  buildWordLevelTokenizerJson,
  defaultChatTemplate,
  splitIntoPieces,
  syntheticVocabulary,
  wordLevelVocabularyFromTexts,
  type WordLevelTokenizerJson,
  type WordLevelTokenizerOptions,
} from './word-level-tokenizer';
