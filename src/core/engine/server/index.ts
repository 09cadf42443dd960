/**
 * Scoring through vLLM and SGLang servers (docs/servers.md): the wire formats, the replica client
 * and the ScoringEngine over them. Pure: the host gives `fetch`.
 */
export * from './wire';
export * from './client';
export * from './connect';
export * from './engine';
export * from './tokenizer-check';
export * from './server-tokenizer';
