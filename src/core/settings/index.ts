export * from './vocabularies';
export * from './analysis';
export * from './model';
