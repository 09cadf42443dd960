/** The normalised trajectory model every adapter produces (docs/architecture.md §2). */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export type FormatId =
  | 'openai-chat'
  | 'tau-bench'
  | 'tau2-bench'
  | 'who-and-when'
  | 'swe-agent'
  | 'sharegpt'
  | 'openhands'
  | 'inspect-ai'
  | 'score-jsonl'
  | 'claude-code'
  | 'codex'
  | 'mini-swe-agent'
  | 'atif'
  | 'otel'
  | 'bundle';

export interface ToolCall {
  id?: string;
  name: string;
  /** Parsed arguments: an object when the source's arguments were a JSON object (or already one). */
  arguments: Record<string, unknown>;
  /** The source's argument string when it was not valid JSON (then `arguments` is `{}`), or the original string. */
  rawArguments?: string;
  /** Who issued the call when the format says (τ²-bench: `assistant` | `user`). */
  requestor?: string;
}

/** Per-token log-probs a source file already carries (Inspect AI logs, ATIF step metrics, the score format). */
export interface TokenLogprob {
  /** The token's text; absent where the source gives none (ATIF's `metrics.logprobs` are bare numbers). */
  token?: string;
  /** The token's id in the producer's tokenizer, where the source gives it (ATIF's `completion_token_ids`). */
  tokenId?: number;
  logprob: number;
  topLogprobs?: { token: string; logprob: number }[];
}

export interface Message {
  role: Role;
  /** The role string exactly as the source file writes it (Who&When Hand-Crafted: the agent label). */
  sourceRole: string;
  /** Agent name, where the format names agents. */
  name?: string;
  content: string;
  toolCalls?: ToolCall[];
  /** For tool results: the id of the call they answer. */
  toolCallId?: string;
  /** For tool results: the name of the tool that produced them, where the format says. */
  toolName?: string;
  logprobs?: TokenLogprob[];
}

export interface Labels {
  reward?: number;
  /** reward ≥ 1, or the format's own boolean (`resolved`, `target`). */
  success?: boolean;
  /** Index into `messages` of the decisive mistake. */
  mistakeStep?: number;
  mistakeAgent?: string;
}

export interface Trajectory {
  /** Unique within its file. */
  id: string;
  format: FormatId;
  taskId?: string;
  messages: Message[];
  /** Indices into `messages` of the action steps (agent-authored messages), ascending. */
  actionSteps: number[];
  labels: Labels;
  metadata: Record<string, unknown>;
}
