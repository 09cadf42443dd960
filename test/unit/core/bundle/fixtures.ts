/** Test support: a trajectory and its scores with script-injection payloads in every text field. */
import type { Trajectory } from '../../../../src/core/trajectory/types';
import type { ScoreRecord } from '../../../../src/core/scores/format';
import { BUNDLE_FORMAT, type AnalysisBundle, type BundleScore } from '../../../../src/core/bundle';
import { DEFAULT_ANALYSIS_SETTINGS_FOR_TESTS } from '../../ui/share/settings';

export const PAYLOADS = {
  img: '<img src=x onerror=window.__pwned=1>',
  script: '</script><script>window.__pwned=1</script>',
  jsUrl: 'javascript:window.__pwned=1',
  svg: '"><svg onload=window.__pwned=1>',
  iframe: "'><iframe src=javascript:window.__pwned=1>",
  entity: '&lt;b&gt; & &amp; stays text',
  control: 'bell\u0007 nul\u0000 lone\uD800 surrogate',
} as const;

export const ALL_PAYLOADS = Object.values(PAYLOADS).join(' ');

export function payloadTrajectory(id = `traj ${PAYLOADS.img}`): Trajectory {
  return {
    id,
    format: 'openai-chat',
    taskId: `task ${PAYLOADS.svg}`,
    messages: [
      { role: 'system', sourceRole: 'system', content: `system ${PAYLOADS.script}` },
      { role: 'user', sourceRole: 'user', content: `user ${ALL_PAYLOADS}` },
      {
        role: 'assistant',
        sourceRole: 'assistant',
        name: `agent ${PAYLOADS.iframe}`,
        content: `I call ${PAYLOADS.jsUrl}`,
        toolCalls: [{ id: `call ${PAYLOADS.svg}`, name: `tool ${PAYLOADS.img}`, arguments: { [`key ${PAYLOADS.script}`]: `value ${PAYLOADS.iframe}` } }],
      },
      { role: 'tool', sourceRole: 'tool', content: `result ${PAYLOADS.script}`, toolCallId: `call ${PAYLOADS.svg}`, toolName: `tool ${PAYLOADS.img}` },
      { role: 'assistant', sourceRole: 'assistant', name: `agent ${PAYLOADS.iframe}`, content: `done ${PAYLOADS.entity}` },
    ],
    actionSteps: [2, 4],
    labels: { reward: 0, success: false, mistakeStep: 2, mistakeAgent: `agent ${PAYLOADS.svg}` },
    metadata: { note: PAYLOADS.script, nested: { deeper: [PAYLOADS.img] } },
  };
}

export function payloadRecord(trajectory: Trajectory = payloadTrajectory()): ScoreRecord {
  return {
    id: trajectory.id,
    taskId: trajectory.taskId,
    reward: 0,
    mistakeStep: 2,
    policyModel: `policy ${PAYLOADS.svg}`,
    referenceModel: `reference ${PAYLOADS.img}`,
    steps: [
      {
        message: 2,
        agent: `agent ${PAYLOADS.iframe}`,
        policy: [-0.5, -1.25, -3, -0.125],
        reference: [-1, -1, -0.5, -2],
        tokens: ['I call ', PAYLOADS.jsUrl, ' then\n', PAYLOADS.img],
      },
      { message: 4, policy: [-2, -0.25, -1], reference: [-0.5, -0.75, -1], tokens: ['done ', PAYLOADS.script, PAYLOADS.control] },
    ],
  };
}

export function payloadScore(record: ScoreRecord = payloadRecord()): BundleScore {
  return { record, notScored: [], stepLevelOnly: false, tokens: 42, messageTokenCounts: [5, 9, 12, 8, 8], forwardedTokens: 42, device: 'wasm' };
}

export function payloadBundle(): AnalysisBundle {
  const first = payloadTrajectory();
  const second: Trajectory = { ...payloadTrajectory(`second ${PAYLOADS.svg}`), labels: { reward: 1, success: true } };
  return {
    format: BUNDLE_FORMAT,
    createdAt: '2026-03-01T12:00:00.000Z',
    app: { name: 'progress-advantage', version: '0.1.0' },
    modelPairs: [{ policy: `policy ${PAYLOADS.svg}`, reference: `reference ${PAYLOADS.img}`, dtype: 'fp32', render: 'plain' }],
    settings: DEFAULT_ANALYSIS_SETTINGS_FOR_TESTS,
    selected: 1,
    entries: [
      { fileName: `${PAYLOADS.img}.jsonl`, trajectory: first, score: payloadScore(payloadRecord(first)) },
      { fileName: `${PAYLOADS.img}.jsonl`, trajectory: second, score: null },
    ],
  };
}
