/**
 * The self-contained HTML report: one static file (inline CSS and SVG, no script, no external
 * request — its Content-Security-Policy forbids both) that any browser reads offline. It holds
 * each trajectory's header facts, step curve, token heatmap (coloured tokens with title tooltips)
 * and decisive step, the settings and model pair used, and for a set the dataset metrics. Every
 * piece of text goes through `markup`, so nothing from a trajectory can become markup.
 */
import { cssClassName, cssColour, joinMarkup, markup, type Markup } from './escape';

export interface ReportToken {
  text: string;
  /** β·(log π_θ − log π_ref), exactly as the app computes it. */
  advantage: number;
  policy: number;
  reference: number;
  /** The colour bucket's class (one of `HtmlReportInput.palette`). */
  className: string;
}

export interface ReportStep {
  /** 1-based position among the action steps. */
  number: number;
  score: number | null;
  running: number | null;
  /** The scored tokens, or null when the step has no token figures. */
  tokens: ReportToken[] | null;
  /** Why the step was not scored, when it was not. */
  notScored: string | null;
}

export interface ReportToolCall {
  name: string;
  id?: string;
  /** The arguments as shown: JSON text, or the source's raw string. */
  arguments: string;
}

export interface ReportMessage {
  index: number;
  role: string;
  sourceRole: string;
  name?: string;
  content: string;
  toolCalls: ReportToolCall[];
  toolCallId?: string;
  /** Present for action steps. */
  step: ReportStep | null;
}

export interface ReportTrajectory {
  id: string;
  fileName: string;
  format: string;
  taskId?: string;
  reward?: number;
  success?: boolean;
  mistakeStep?: number;
  mistakeAgent?: string;
  /** Null when unscored or when nothing could be aggregated. */
  score: number | null;
  scored: boolean;
  /** Message index of the predicted decisive step. */
  decisiveMessage: number | null;
  /** Who scored it (model pair, or where precomputed figures came from). */
  modelPair: string;
  /** The models' tokenizers differ: steps hold string log-likelihood differences. */
  stepLevelOnly: boolean;
  /** The step curve as inline SVG, or null when unscored. */
  curve: Markup | null;
  messages: ReportMessage[];
  /** Notes on its steps and tokens, in reading order (absent: none). */
  notes?: readonly ReportNote[];
}

/** A reader's note on a step or a run of its tokens (src/core/notes), as text. */
export interface ReportNote {
  message: number;
  /** Where it sits, in words ("message 4, tokens 2–5"). */
  span: string;
  text: string;
  tags: readonly string[];
  /** ISO time. */
  created: string;
}

export interface PaletteEntry {
  className: string;
  background: string;
  text: string;
}

export interface HtmlReportInput {
  title: string;
  /** ISO time. */
  createdAt: string;
  appName: string;
  appVersion: string;
  /** Label and value of each setting (aggregations, β, predictor, colour range …). */
  settings: readonly (readonly [string, string])[];
  modelPairs: readonly string[];
  predictor: string;
  /** The heatmap's colour range ±colourRange. */
  colourRange: number;
  palette: readonly PaletteEntry[];
  /** Colours along the legend, from −range to +range. */
  legendStops: readonly string[];
  /** Dataset metrics of a set (label, value), or null for a one-trajectory report. */
  summary: readonly (readonly [string, string])[] | null;
  /** Extra figures of a set (ROC curve …). */
  figures: readonly { title: string; svg: Markup }[];
  trajectories: readonly ReportTrajectory[];
  /** Said at the top when the report leaves trajectories out (size bound). */
  omitted?: string;
}

/** No script, no network: even a bug in escaping could not run code or call home. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { color-scheme: light dark; --fg: #1c1e21; --muted: #616770; --bg: #ffffff; --raised: #f5f6f7; --border: #d8dade; --decisive: #d95f02; --mistake: #c51b7d; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --muted: #9aa1aa; --bg: #16181b; --raised: #1f2226; --border: #33373d; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 16px 20px 48px; font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 16px 0 6px; }
.meta, .muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid var(--border); padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
section.trajectory { border-top: 2px solid var(--border); margin-top: 28px; }
.message { border: 1px solid var(--border); border-radius: 6px; margin: 8px 0; padding: 6px 10px; background: var(--raised); }
.message.decisive { border-color: var(--decisive); border-width: 2px; } .message.mistake { outline: 2px dotted var(--mistake); }
.message header { display: flex; flex-wrap: wrap; gap: 4px 10px; font-size: 12.5px; color: var(--muted); }
.message header .role { font-weight: 600; color: var(--fg); }
.badge-decisive { color: var(--decisive); font-weight: 600; } .badge-mistake { color: var(--mistake); font-weight: 600; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre.tokens span.t { border-radius: 2px; }
details.tool-call summary, details.context summary { cursor: pointer; color: var(--muted); }
.legend { display: flex; align-items: center; gap: 8px; font-size: 12px; margin: 6px 0; flex-wrap: wrap; }
.legend .ramp { display: inline-flex; } .legend .ramp span { display: inline-block; width: 18px; height: 12px; }
figure { margin: 8px 0; overflow-x: auto; } figcaption { font-size: 12px; color: var(--muted); }
svg { max-width: 100%; height: auto; }
.notice { border-left: 3px solid var(--decisive); padding: 2px 8px; }
ul.notes { padding-left: 18px; } ul.notes li { margin: 4px 0; } .note-tag { border: 1px solid var(--border); border-radius: 8px; padding: 0 6px; font-size: 12px; margin-left: 4px; }
.note-text { white-space: pre-wrap; overflow-wrap: anywhere; }
`;

const signed = (x: number, digits = 4): string => {
  if (!Number.isFinite(x)) return String(x);
  const text = x.toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return x > 0 ? `+${text}` : text;
};

const plain = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

function paletteRules(palette: readonly PaletteEntry[]): string {
  // Built only from checked class names and colours: nothing else can reach the style sheet.
  return palette.map((p) => `.${cssClassName(p.className)}{background:${cssColour(p.background)};color:${cssColour(p.text)}}`).join('\n');
}

function factList(rows: readonly (readonly [string, string])[]): Markup {
  return markup`<dl class="facts">${rows.map(([label, value]) => markup`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

function legend(input: HtmlReportInput): Markup {
  const r = input.colourRange;
  return markup`<div class="legend" data-part="heatmap-legend"><span>lost ground</span><span class="ramp">${input.legendStops.map(
    (c) => markup`<span style="background:${cssColour(c)}"></span>`,
  )}</span><span>gained</span><span class="muted">A = β·(log π_θ − log π_ref): −${r} · 0 · +${r}</span></div>`;
}

function tokenSpan(token: ReportToken): Markup {
  const title = `A ${signed(token.advantage)} · log π_θ ${plain(token.policy)} · log π_ref ${plain(token.reference)}`;
  return markup`<span class="t ${cssClassName(token.className)}" data-advantage="${String(token.advantage)}" title="${title}">${token.text}</span>`;
}

function messageBlock(message: ReportMessage, trajectory: ReportTrajectory): Markup {
  const step = message.step;
  const decisive = step !== null && trajectory.decisiveMessage === message.index;
  const mistake = trajectory.mistakeStep === message.index;
  const classes = ['message', `role-${message.role.replace(/[^a-z]/g, '')}`, decisive ? 'decisive' : '', mistake ? 'mistake' : ''].filter(Boolean).join(' ');
  const header = markup`<header><span>#${message.index}</span><span class="role">${message.role}</span>${
    message.sourceRole !== message.role ? markup`<span>(${message.sourceRole})</span>` : null
  }${message.name ? markup`<span class="agent">${message.name}</span>` : null}${step ? markup`<span>step ${step.number}</span>` : null}${
    step && step.score !== null ? markup`<span data-part="step-score">s = ${signed(step.score, 3)}${step.running !== null ? ` · R = ${signed(step.running, 3)}` : ''}</span>` : null
  }${decisive ? markup`<span class="badge-decisive" data-part="decisive-badge">◆ decisive step (${trajectory.decisiveMessage === null ? '' : trajectory.decisiveMessage})</span>` : null}${
    mistake ? markup`<span class="badge-mistake">labelled mistake</span>` : null
  }${step?.notScored ? markup`<span>not scored: ${step.notScored}</span>` : null}${message.toolCallId ? markup`<span>result of ${message.toolCallId}</span>` : null}</header>`;
  const body =
    step?.tokens && step.tokens.length > 0
      ? markup`<pre class="tokens" data-part="scored-step" data-message="${message.index}">${step.tokens.map(tokenSpan)}</pre>`
      : message.content === ''
        ? null
        : message.role === 'tool' || message.role === 'system'
          ? markup`<details class="context"><summary>${message.role} text (${message.content.length.toLocaleString('en-US')} characters)</summary><pre>${message.content}</pre></details>`
          : markup`<pre>${message.content}</pre>`;
  const calls = message.toolCalls.map(
    (call) => markup`<details class="tool-call"><summary>tool call <code>${call.name}</code>${call.id ? ` · ${call.id}` : ''}</summary><pre>${call.arguments}</pre></details>`,
  );
  return markup`<article class="${classes}" data-message-index="${message.index}">${header}${body}${calls}</article>`;
}

function notesList(notes: readonly ReportNote[]): Markup {
  return markup`<section data-part="notes"><h3>Notes (${String(notes.length)})</h3><ul class="notes">${notes.map(
    (n) =>
      markup`<li data-part="note" data-message="${n.message}"><b data-part="note-span">${n.span}</b>${n.tags.map((tag) => markup`<span class="note-tag" data-part="note-tag">${tag}</span>`)} <span class="muted">${n.created}</span>${
        n.text === '' ? null : markup`<div class="note-text" data-part="note-text">${n.text}</div>`
      }</li>`,
  )}</ul></section>`;
}

function trajectorySection(t: ReportTrajectory, index: number, input: HtmlReportInput): Markup {
  const facts: [string, string][] = [
    ['file', t.fileName],
    ['format', t.format],
  ];
  if (t.taskId !== undefined) facts.push(['task', t.taskId]);
  facts.push(['messages', String(t.messages.length)], ['action steps', String(t.messages.filter((m) => m.step).length)]);
  if (t.reward !== undefined) facts.push(['reward', String(t.reward)]);
  if (t.success !== undefined) facts.push(['outcome', t.success ? 'success' : 'failure']);
  if (t.mistakeStep !== undefined) facts.push(['labelled mistake', `message ${t.mistakeStep}${t.mistakeAgent ? ` by ${t.mistakeAgent}` : ''}`]);
  if (t.scored) {
    facts.push(['score', t.score === null ? '—' : plain(t.score)]);
    facts.push([`decisive step (${input.predictor})`, t.decisiveMessage === null ? '—' : `message ${t.decisiveMessage}`]);
    facts.push(['scored by', t.modelPair]);
  } else {
    facts.push(['score', 'not scored']);
  }
  return markup`<section class="trajectory" id="t-${index + 1}" data-part="trajectory" data-trajectory-id="${t.id}">
<h2>${t.id}</h2>
${factList(facts)}
${t.stepLevelOnly ? markup`<p class="notice">The two models have different tokenizers: each step shows the difference of its string log-likelihoods, not per-token advantages.</p>` : null}
${t.curve ? markup`<figure data-part="step-curve">${t.curve}<figcaption>Step scores (bars), running advantage (line), decisive step by ${input.predictor} (dashed) and labelled mistake (dotted).</figcaption></figure>` : null}
${t.notes && t.notes.length > 0 ? notesList(t.notes) : null}
${t.scored ? legend(input) : null}
${t.messages.map((m) => messageBlock(m, t))}
</section>`;
}

function contents(input: HtmlReportInput): Markup {
  return markup`<table data-part="contents"><thead><tr><th>#</th><th>trajectory</th><th>task</th><th>reward</th><th>score</th><th>decisive step</th><th>labelled mistake</th></tr></thead><tbody>${input.trajectories.map(
    (t, i) =>
      markup`<tr><td class="num">${i + 1}</td><td><a href="#t-${i + 1}">${t.id}</a></td><td>${t.taskId ?? ''}</td><td class="num">${t.reward ?? ''}</td><td class="num">${
        t.score === null ? '—' : plain(t.score)
      }</td><td class="num">${t.decisiveMessage ?? '—'}</td><td class="num">${t.mistakeStep ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

/** The report as one HTML document (a string to save as `.html`). */
export function buildHtmlReport(input: HtmlReportInput): string {
  const set = input.trajectories.length !== 1 || input.summary !== null;
  const doc = markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${input.appName} ${input.appVersion}">
<title>${input.title}</title>
<style>${STYLE}
${paletteRules(input.palette)}</style>
</head>
<body>
<header>
<h1 data-part="title">${input.title}</h1>
<p class="meta">Created ${input.createdAt} by ${input.appName} ${input.appVersion}. Progress advantage A = β·(log π_θ − log π_ref) per action token; no model is needed to read this file.</p>
</header>
<section data-part="settings"><h2>Settings</h2>${factList([...input.settings, ...input.modelPairs.map((p, i) => [input.modelPairs.length > 1 ? `model pair ${i + 1}` : 'model pair', p] as const)])}</section>
${input.omitted ? markup`<p class="notice" data-part="omitted">${input.omitted}</p>` : null}
${input.summary ? markup`<section data-part="summary"><h2>Dataset</h2>${factList(input.summary)}${input.figures.map((f) => markup`<figure>${f.svg}<figcaption>${f.title}</figcaption></figure>`)}</section>` : null}
${set ? markup`<section><h2>Trajectories</h2>${contents(input)}</section>` : null}
${joinMarkup(input.trajectories.map((t, i) => trajectorySection(t, i, input)), '\n')}
</body>
</html>
`;
  return doc.html;
}
