/**
 * The one scoring path, used by the scoring worker (app) and the CLI alike: load a pair
 * (load-pair.ts), score a trajectory (score-trajectory.ts), run a job (job.ts), and the records
 * they produce (records.ts).
 */
export * from './records';
export * from './load-pair';
export * from './score-trajectory';
export * from './job';
export * from './execution';
export * from './context-policy';
