/**
 * The token query language: find tokens by their figures, named as the transcript's tooltip shows
 * them — `A` (the advantage β·(log π_θ − log π_ref)), `logp_policy` (log π_θ), `logp_reference`
 * (log π_ref) and `entropy` (the policy's, where it was computed). Examples:
 *
 *   A < -1
 *   logp_policy < -5 and entropy > 3
 *   (A <= -2 or A >= 2) and not entropy < 0.5
 *
 * Comparisons are `<`, `<=`, `>`, `>=`, `=` (or `==`) and `!=`, field on the left, a number on the
 * right (`−`, the minus sign, reads as `-`); `and` binds tighter than `or`; `not` negates. Keywords
 * and fields are case-insensitive. A bad query is refused with the place (0-based character
 * offset) and what was expected there.
 */

export const TOKEN_FIELDS = ['A', 'logp_policy', 'logp_reference', 'entropy'] as const;
export type TokenField = (typeof TOKEN_FIELDS)[number];
export const COMPARISONS = ['<', '<=', '>', '>=', '=', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type TokenQuery =
  | { kind: 'compare'; field: TokenField; op: Comparison; value: number }
  | { kind: 'and' | 'or'; left: TokenQuery; right: TokenQuery }
  | { kind: 'not'; operand: TokenQuery };

/** A query that cannot be read: `message` says where (`at <offset>`) and what was expected. */
export class TokenQueryError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'TokenQueryError';
  }
}

type Token = { kind: 'word' | 'number' | 'op' | 'open' | 'close'; text: string; at: number };

const FIELD_LIST = TOKEN_FIELDS.join(', ');
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const c = source[at];
    if (/\s/.test(c)) {
      at++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close', text: c, at });
      at++;
      continue;
    }
    const two = source.slice(at, at + 2);
    if (two === '<=' || two === '>=' || two === '!=' || two === '==') {
      tokens.push({ kind: 'op', text: two === '==' ? '=' : two, at });
      at += 2;
      continue;
    }
    if (c === '<' || c === '>' || c === '=') {
      tokens.push({ kind: 'op', text: c, at });
      at++;
      continue;
    }
    // The minus sign (U+2212), as the issue and the paper write it, reads as a hyphen-minus.
    const rest = source.slice(at).replace(/^\u2212/, '-');
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], at });
      at += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      tokens.push({ kind: 'word', text: word[0], at });
      at += word[0].length;
      continue;
    }
    throw new TokenQueryError(at, `unexpected ${JSON.stringify(c)} at ${at}: a query compares fields (${FIELD_LIST}) with numbers`);
  }
  return tokens;
}

const describe = (token: Token | undefined) => (token === undefined ? 'the end of the query' : JSON.stringify(token.text));
const isKeyword = (token: Token | undefined, word: string) => token?.kind === 'word' && token.text.toLowerCase() === word;

/** Reads a query; throws TokenQueryError with the offset and what was expected there. */
export function parseTokenQuery(source: string): TokenQuery {
  const tokens = tokenize(source);
  if (tokens.length === 0) throw new TokenQueryError(0, `the query is empty: compare a field (${FIELD_LIST}) with a number, e.g. "A < -1"`);
  let i = 0;
  const peek = () => tokens[i];
  const endAt = () => tokens[i]?.at ?? source.length;

  const orExpr = (): TokenQuery => {
    let left = andExpr();
    while (isKeyword(peek(), 'or')) {
      i++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): TokenQuery => {
    let left = unary();
    while (isKeyword(peek(), 'and')) {
      i++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): TokenQuery => {
    if (isKeyword(peek(), 'not')) {
      i++;
      return { kind: 'not', operand: unary() };
    }
    const token = peek();
    if (token?.kind === 'open') {
      i++;
      const inner = orExpr();
      if (peek()?.kind !== 'close') throw new TokenQueryError(endAt(), `expected ")" at ${endAt()}, found ${describe(peek())}`);
      i++;
      return inner;
    }
    return comparison();
  };
  const comparison = (): TokenQuery => {
    const token = peek();
    if (token?.kind !== 'word') throw new TokenQueryError(endAt(), `expected a field (${FIELD_LIST}) at ${endAt()}, found ${describe(token)}`);
    const field = TOKEN_FIELDS.find((f) => f.toLowerCase() === token.text.toLowerCase());
    if (!field) throw new TokenQueryError(token.at, `unknown field ${JSON.stringify(token.text)} at ${token.at}: fields are ${FIELD_LIST}`);
    i++;
    const op = peek();
    if (op?.kind !== 'op') throw new TokenQueryError(endAt(), `expected a comparison (${COMPARISONS.join(' ')}) after ${field} at ${endAt()}, found ${describe(op)}`);
    i++;
    const value = peek();
    if (value?.kind !== 'number') throw new TokenQueryError(endAt(), `expected a number after ${field} ${op.text} at ${endAt()}, found ${describe(value)}`);
    i++;
    return { kind: 'compare', field, op: op.text as Comparison, value: Number(value.text.replace(/^\u2212/, '-')) };
  };

  const query = orExpr();
  if (i < tokens.length) {
    const extra = tokens[i];
    throw new TokenQueryError(extra.at, `unexpected ${describe(extra)} at ${extra.at}: expected "and", "or" or the end of the query`);
  }
  return query;
}

/** A token's figures as the transcript shows them; entropy is null where it was not computed. */
export interface TokenFigures {
  A: number;
  logp_policy: number;
  logp_reference: number;
  entropy: number | null;
}

function compare(x: number, op: Comparison, y: number): boolean {
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '=':
      return x === y;
    case '!=':
      return x !== y;
  }
}

/** Whether a token's figures satisfy the query. A comparison on a figure the token lacks (entropy not computed) is false. */
export function tokenMatches(query: TokenQuery, figures: TokenFigures): boolean {
  switch (query.kind) {
    case 'compare': {
      const value = figures[query.field];
      return value !== null && compare(value, query.op, query.value);
    }
    case 'and':
      return tokenMatches(query.left, figures) && tokenMatches(query.right, figures);
    case 'or':
      return tokenMatches(query.left, figures) || tokenMatches(query.right, figures);
    case 'not':
      return !tokenMatches(query.operand, figures);
  }
}

/** The fields a query reads (to say when a trajectory lacks one, e.g. entropy). */
export function fieldsOf(query: TokenQuery): Set<TokenField> {
  const fields = new Set<TokenField>();
  const walk = (q: TokenQuery) => {
    if (q.kind === 'compare') fields.add(q.field);
    else if (q.kind === 'not') walk(q.operand);
    else (walk(q.left), walk(q.right));
  };
  walk(query);
  return fields;
}
