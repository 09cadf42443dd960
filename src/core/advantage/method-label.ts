/**
 * What each scoring method's numbers are called, in one place: the curve's axis and legend, the
 * heatmap legend, the token tooltip and the exports' captions all read these labels, so a view
 * never says "advantage" of a baseline's figures (docs/eval.md gives the formulas).
 */
import type { AdvantageMode, ScoringMethod } from './progress';

export interface MethodLabel {
  /** The method's name in words: `progress advantage`, `policy log-prob`, `DeepConf tail confidence`. */
  name: string;
  /** The step score's formula as text (Unicode, no markup): `A = β·(log π_θ − log π_ref)`. */
  formula: string;
  /** The y axis of the step curve: what a step score is. */
  axis: string;
  /** The curve's line: the running sum of the step scores. */
  running: string;
}

/** The label of a method's step scores; `mode` matters for the progress advantage only. */
export function methodLabel(method: ScoringMethod, mode: AdvantageMode = 'difference'): MethodLabel {
  switch (method) {
    case 'progress':
      return mode === 'difference'
        ? { name: 'progress advantage', formula: 'A = β·(log π_θ − log π_ref)', axis: 'advantage', running: 'running advantage' }
        : {
            name: 'progress advantage (per-model)',
            formula: 'A = β·(agg log π_θ − agg log π_ref)',
            axis: 'advantage (per-model)',
            running: 'running advantage',
          };
    case 'policy-logprob':
      return { name: 'policy log-prob', formula: 'log π_θ', axis: 'log π_θ', running: 'running sum of log π_θ' };
    case 'reference-logprob':
      return { name: 'reference log-prob', formula: 'log π_ref', axis: 'log π_ref', running: 'running sum of log π_ref' };
    case 'self-certainty':
      return { name: 'self-certainty', formula: 'mean of the top-20 log π_θ', axis: 'self-certainty', running: 'running sum of self-certainty' };
    case 'deepconf-tail':
      return { name: 'DeepConf tail confidence', formula: 'mean of the top-20 log π_θ (last step)', axis: 'DeepConf confidence', running: 'running sum of confidence' };
    case 'deepconf-b10':
      return {
        name: 'DeepConf bottom-10% confidence',
        formula: 'mean of the top-20 log π_θ (lowest 10% of steps)',
        axis: 'DeepConf confidence',
        running: 'running sum of confidence',
      };
  }
}

/** What the token heatmap's colours are, whatever the method: the per-token progress advantage. */
export const TOKEN_COLOUR_LABEL: MethodLabel = methodLabel('progress', 'difference');
