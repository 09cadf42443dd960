/**
 * The policy's figures kept across the score runs of one `eval --sweep-merge`
 * (eval-merge-sweep.ts): the merge changes the reference only, so the policy is forwarded at the
 * first α and its figures are reused at the others.
 */
import type { ScoreOptions, ScoringEngine, TokenFigures, TokenRange } from '../../core/engine';
import type { EngineFactory } from '../../core/scoring';

/**
 * The policy's figures per scored sequence (its token ids and ranges), kept across the score runs
 * of one `eval --sweep-merge`: the policy model and the scoring options are the same at every α,
 * so a sequence scored once has the figures it would have again.
 */
export class PolicyFigureCache {
  private readonly figures = new Map<string, TokenFigures[]>();

  /** The policy engine, its `score` answered from the cache where the sequence was scored before. */
  wrap(engine: ScoringEngine): ScoringEngine {
    const score = async (tokenIds: ArrayLike<number>, ranges: readonly TokenRange[], options?: ScoreOptions): Promise<TokenFigures[]> => {
      const key = `${Array.from(tokenIds).join(',')}|${ranges.map((range) => `${range.start}-${range.end}`).join(',')}`;
      const known = this.figures.get(key);
      if (known) return known;
      const computed = await engine.score(tokenIds, ranges, options);
      this.figures.set(key, computed);
      return computed;
    };
    // Everything else is the engine's own (bound to it: its state and private fields stay its).
    return new Proxy(engine, {
      get(target, property) {
        if (property === 'score') return score;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

/** The engine factory with the policy side's figures kept in (and read from) `cache`. */
export function withPolicyFigureCache(factory: EngineFactory, cache: PolicyFigureCache | undefined): EngineFactory {
  if (!cache) return factory;
  return async (request) => (request.side === 'policy' ? cache.wrap(await factory(request)) : factory(request));
}
