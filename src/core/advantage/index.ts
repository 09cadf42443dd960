export * from './aggregate';
export * from './progress';
export * from './method-label';
export * from './colour-range';
export * from './presets';
