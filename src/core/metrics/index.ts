export * from './bestOfN';
export * from './failure';
export * from './uncertainty';
