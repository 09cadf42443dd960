export * from './best-of-n';
export * from './failure';
export * from './uncertainty';
