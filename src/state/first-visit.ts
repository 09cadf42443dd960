/**
 * The demo shows itself: a fresh session that opened the embedded examples loads the demo pair
 * (2 MB, served with the app), scores the example episodes and opens on a trajectory where the
 * method is instructive (its predicted decisive step is the labelled mistake: core's
 * `instructiveTrajectory` over the evaluated results). Nothing of this runs when the page was opened
 * with a link, a bundle or files; anything the user does to the models or files supersedes it
 * (`supersedeAutoDemo` in state/scoring.ts). After "Clear session" the empty page offers it again.
 */
import { create } from 'zustand';
import { useAppStore } from './store';
import { computeAnalysis, applyPairDefaults, selectStep, useAnalysisStore } from './analysis';
import { loadModelPair, scoreTrajectories, setModelOptions, supersedeAutoDemo, useScoringStore } from './scoring';
import { reopenExamples } from './load-files';
import { instructiveTrajectory } from '../core/scores/instructive';
import { DEFAULT_MODEL_SETTINGS } from '../core/settings';

const HINT_KEY = 'progress-advantage:first-visit-hint-dismissed';

function storedHintDismissed(): boolean {
  try {
    return globalThis.localStorage?.getItem(HINT_KEY) === '1';
  } catch {
    return false;
  }
}

/** The one-line hint about the colours and the curve: shown until dismissed (remembered in this browser). */
export const useFirstVisitHint = create<{ dismissed: boolean }>()(() => ({ dismissed: storedHintDismissed() }));

export function dismissFirstVisitHint(): void {
  try {
    globalThis.localStorage?.setItem(HINT_KEY, '1');
  } catch {
    // Storage refused: dismissed for this page only.
  }
  useFirstVisitHint.setState({ dismissed: true });
}

/**
 * Whether the page was opened to show something else: a view link (`#v=…`) or a snippet link.
 * Read when the page loads: the page writes its own view into the hash soon after (view-link sync),
 * and that must not count as a link it was opened with.
 */
const OPENED_WITH_LINK = (globalThis.location?.hash ?? '').length > 1;
function openedWithLink(): boolean {
  return OPENED_WITH_LINK;
}

let running: Promise<void> | null = null;

/**
 * Loads the demo pair (unless it is loaded already), scores the example trajectories and selects
 * the instructive one. `examples`: the trajectory keys the examples opened. Stops wherever the
 * user's own action superseded it.
 */
async function showDemo(examples: readonly string[]): Promise<void> {
  const still = () => useScoringStore.getState().autoDemo !== null;
  const selectedAtStart = useAppStore.getState().selectedKey;
  // The examples closed (or a bundle replaced them): the demo has nothing to show.
  const unsubscribe = useAppStore.subscribe((s, prev) => {
    if (s.files !== prev.files && examples.some((key) => !s.trajectories[key])) supersedeAutoDemo();
  });
  try {
    const s = useScoringStore.getState();
    const demoLoaded = s.modelState === 'ready' && s.choice.kind === 'demo';
    if (!demoLoaded) {
      // The demo pair as its preset reads it (choice, rendering); set before the run is marked, so it supersedes nothing.
      setModelOptions({ choice: { kind: 'demo' }, render: DEFAULT_MODEL_SETTINGS.render });
      useScoringStore.setState({ autoDemo: 'loading' });
      await loadModelPair(undefined, 'auto');
      if (!still() || useScoringStore.getState().modelState !== 'ready') return;
      // The demo pair is read with its training β.
      applyPairDefaults();
    }
    useScoringStore.setState({ autoDemo: 'scoring' });
    await scoreTrajectories(examples.filter((key) => useAppStore.getState().trajectories[key]));
    if (!still()) return;
    const app = useAppStore.getState();
    // The user chose a trajectory meanwhile: theirs stays.
    if (app.selectedKey !== selectedAtStart && app.selectedKey !== null) return;
    const { results } = useScoringStore.getState();
    const { evaluation, predictor } = useAnalysisStore.getState();
    const analysis = computeAnalysis(app.trajectoryOrder, results, evaluation);
    const pick = instructiveTrajectory(analysis.report.trajectories, predictor);
    const key = pick ? [...analysis.byKey].find(([, t]) => t === pick)?.[0] : undefined;
    if (key && pick) {
      // Opened at the decisive step (the labelled mistake): the transcript scrolls to it, the curve marks it.
      if (pick.record.mistakeStep !== null && pick.record.mistakeStep !== undefined) selectStep({ key, message: pick.record.mistakeStep });
      app.select(key);
      app.setActiveTab('trajectory');
    }
  } finally {
    unsubscribe();
    useScoringStore.setState((s) => (s.autoDemo !== null ? { autoDemo: null } : s));
  }
}

/**
 * Called once the fresh session's examples are open: shows the demo when the page was opened on
 * nothing else (no link, no file or bundle of the user's) and every open file is an example.
 */
export async function startFirstVisitDemo(exampleNames: readonly string[]): Promise<void> {
  if (running || openedWithLink()) return running ?? undefined;
  // The examples may still be being read (a loaded machine): wait for them rather than give up.
  await filesSettled(exampleNames);
  if (running || openedWithLink()) return running ?? undefined;
  const { files } = useAppStore.getState();
  if (files.length === 0 || files.some((f) => !exampleNames.includes(f.name) || f.status !== 'done')) return;
  running = showDemo(files.flatMap((f) => f.trajectoryKeys)).finally(() => (running = null));
  return running;
}

/** The empty page's offer after "Clear session": the examples again, the demo pair loaded and scored. */
export async function reopenDemo(): Promise<void> {
  const names = await reopenExamples();
  await filesSettled(names);
  // The user asked for the demo: none of the first visit's guards (a link in the URL, other files) apply,
  // and a run still finishing is waited for, not taken as this one.
  if (running) await running;
  const keys = useAppStore
    .getState()
    .files.filter((f) => names.includes(f.name))
    .flatMap((f) => f.trajectoryKeys);
  if (keys.length === 0) return;
  running = showDemo(keys).finally(() => (running = null));
  return running;
}

/** Resolves once every open file of these names is read (or failed). */
function filesSettled(names: readonly string[]): Promise<void> {
  const settled = () => useAppStore.getState().files.filter((f) => names.includes(f.name)).every((f) => f.status !== 'parsing');
  if (settled()) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = useAppStore.subscribe(() => {
      if (!settled()) return;
      unsubscribe();
      resolve();
    });
  });
}
