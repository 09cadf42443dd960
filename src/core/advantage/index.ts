export * from './aggregate';
export * from './progress';
