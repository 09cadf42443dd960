export * from './vocabularies';
export * from './analysis';
export * from './model';
export * from './aggregation-presets';
