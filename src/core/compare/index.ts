/** Comparisons: two scorings of one trajectory (token alignment, step series, decisive steps) and two trajectories of one task (shared prefix). */
export * from './token-alignment';
export * from './step-comparison';
export * from './shared-prefix';
