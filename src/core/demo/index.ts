/**
 * The embedded demo (DESIGN.md §4): a stochastic customer-support environment written as text, the
 * word-level tokenizer and forward pass of its two small GPT-2 models, the exact KL-regularised
 * solver over the environment's history tree, and the verification of β·log(π_θ/π_ref) = A*.
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
