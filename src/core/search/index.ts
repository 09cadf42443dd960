/** Search that knows the signal: text across trajectories, tokens by their figures, the strongest tokens of a trajectory. */
export { COMPARISONS, TOKEN_FIELDS, TokenQueryError, fieldsOf, parseTokenQuery, tokenMatches, type Comparison, type TokenField, type TokenFigures, type TokenQuery } from './token-query';
export { CONTEXT_CHARS, MAX_SEARCH_HITS, findText, findTokens, strongestTokens, type MinimapMark, type SearchOutcome, type TextHit, type TextPlace, type TextSource, type TokenHit, type TokenSource } from './find';
