/**
 * Search across the listed trajectories (src/state/search): text in messages, tool calls and tool
 * results, or tokens by their figures ("A < -1", "logp_policy < -5 and entropy > 3"). Hits are
 * listed with their context; Enter / Shift+Enter in the box, or n / N in the list, step through
 * them, each shown in the transcript (a token hit marked).
 */
import { useDeferredValue, useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { TOKEN_FIELDS, type TextHit, type TokenHit } from '../../core/search';
import { useAppStore } from '../../state/store';
import { useScoringStore } from '../../state/scoring';
import { useAnalysisStore } from '../../state/analysis';
import { useVisibleKeys } from '../../state/list-view';
import { SEARCH_MODES, goToHit, searchResults, setSearch, stepThroughHits, useSearchStore, type SearchMode, type SearchResults } from '../../state/search';
import { stepTokenTexts } from '../transcript/transcript-rows';
import { plural } from '../plural';
import './search.css';

const fmt = (x: number | null) => (x === null ? '—' : Number.isFinite(x) ? x.toFixed(3) : String(x));
const MODE_WORDS: Record<SearchMode, string> = { text: 'text', tokens: 'token figures' };
const PLACEHOLDER: Record<SearchMode, string> = { text: 'find text in messages, tool calls and results…', tokens: 'e.g. A < -1, or logp_policy < -5 and entropy > 3' };

/** Token texts of a step, cached per step object (hits read a few neighbours each). */
const textsByStep = new WeakMap<object, string[]>();
function tokenText(step: Parameters<typeof stepTokenTexts>[0], index: number): string {
  let texts = textsByStep.get(step);
  if (!texts) textsByStep.set(step, (texts = stepTokenTexts(step)));
  return texts[index] ?? '';
}

export function SearchPanel() {
  const { mode, query, at } = useSearchStore();
  const deferredQuery = useDeferredValue(query);
  const keys = useVisibleKeys();
  const trajectories = useAppStore((s) => s.trajectories);
  const results = useScoringStore((s) => s.results);
  const beta = useAnalysisStore((s) => s.evaluation.beta);
  const found = useMemo(() => searchResults(mode, deferredQuery, keys, trajectories, results, beta, tokenText), [mode, deferredQuery, keys, trajectories, results, beta]);
  const hits: readonly (TextHit | TokenHit)[] = found.kind === 'text' || found.kind === 'tokens' ? found.outcome.hits : [];
  const list = useRef<HTMLOListElement>(null);

  // The current hit stays in view in the results list.
  useEffect(() => {
    list.current?.querySelector('[data-current="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [at]);

  const step = (e: KeyboardEvent, delta: 1 | -1) => {
    e.preventDefault();
    e.stopPropagation();
    stepThroughHits(hits, delta);
  };

  return (
    <section className="search-panel" data-testid="search-panel" aria-label="Search">
      <div className="search-bar">
        <select aria-label="Search for" data-testid="search-mode" value={mode} onChange={(e) => setSearch({ mode: e.currentTarget.value as SearchMode })}>
          {SEARCH_MODES.map((m) => (
            <option key={m} value={m}>
              {MODE_WORDS[m]}
            </option>
          ))}
        </select>
        <input
          type="search"
          data-testid="search-input"
          aria-label={mode === 'text' ? 'Search text' : 'Token query'}
          placeholder={PLACEHOLDER[mode]}
          value={query}
          spellCheck={false}
          onChange={(e) => setSearch({ query: e.currentTarget.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') step(e, e.shiftKey ? -1 : 1);
          }}
        />
        <SearchSummary found={found} at={at} />
      </div>
      {found.kind === 'error' && (
        <p className="share-error" role="alert" data-testid="search-error" data-offset={found.offset}>
          {found.message}
        </p>
      )}
      {hits.length > 0 && (
        <ol
          ref={list}
          className="search-hits"
          data-testid="search-hits"
          tabIndex={0}
          aria-label="Search results: n / N or Enter / Shift+Enter step through them"
          onKeyDown={(e) => {
            if (e.key === 'n' || (e.key === 'Enter' && !e.shiftKey)) step(e, 1);
            else if (e.key === 'N' || (e.key === 'Enter' && e.shiftKey)) step(e, -1);
          }}
        >
          {hits.map((hit, i) => (
            <HitRow key={i} hit={hit} current={i === at} id={trajectories[hit.key]?.trajectory.id ?? hit.key} showId={keys.length > 1} onVisit={() => goToHit(hits, i)} />
          ))}
        </ol>
      )}
      {mode === 'tokens' && found.kind === 'none' && <p className="muted search-help">Fields: {TOKEN_FIELDS.join(', ')}; compare with {'<, <=, >, >=, =, !='}; combine with and, or, not and parentheses.</p>}
    </section>
  );
}

function SearchSummary({ found, at }: { found: SearchResults; at: number }) {
  if (found.kind === 'none' || found.kind === 'error') return null;
  const { outcome } = found;
  const listedNote = outcome.hits.length < outcome.total ? ` (the first ${outcome.hits.length.toLocaleString('en-US')} listed)` : '';
  const position = at >= 0 && outcome.hits.length > 0 ? `${at + 1} of ` : '';
  const scope =
    found.kind === 'text'
      ? `in ${plural(found.searched, 'listed trajectory')}`
      : `in ${found.searched} of ${plural(found.listed, 'listed trajectory')} with token figures${found.withoutEntropy > 0 ? `; ${found.withoutEntropy} have no entropy (their entropy comparisons are false)` : ''}`;
  return (
    <span className="muted search-summary" data-testid="search-summary" data-total={outcome.total} data-listed={outcome.hits.length} data-at={at}>
      {position}
      {plural(outcome.total, 'match', 'matches')} {scope}
      {listedNote}
    </span>
  );
}

function HitRow({ hit, current, id, showId, onVisit }: { hit: TextHit | TokenHit; current: boolean; id: string; showId: boolean; onVisit(): void }) {
  const isToken = 'index' in hit;
  return (
    <li
      className={`search-hit${current ? ' current' : ''}`}
      data-testid="search-hit"
      data-key={hit.key}
      data-trajectory={id}
      data-message={hit.message}
      data-index={isToken ? hit.index : undefined}
      data-current={current}
    >
      <button type="button" className="link-button search-hit-go" data-testid="search-hit-go" onClick={onVisit}>
        {showId ? `${id} · ` : ''}#{hit.message}
        {isToken ? ` · token ${hit.index + 1}` : ` · ${hit.place}`}
      </button>{' '}
      <span className="search-context">
        {hit.before}
        <mark>{isToken ? hit.token : hit.match}</mark>
        {hit.after}
      </span>
      {isToken && (
        <span className="muted search-figures">
          {' '}
          A {fmt(hit.A)} · log π_θ {fmt(hit.logp_policy)} · log π_ref {fmt(hit.logp_reference)}
          {hit.entropy !== null ? ` · entropy ${fmt(hit.entropy)}` : ''}
        </span>
      )}
    </li>
  );
}
