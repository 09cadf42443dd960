import { useEffect, useState } from 'react';

/**
 * Runs a heavy synchronous computation (many core evaluations) after the view has painted, so that
 * the rest of the view appears first; null until the result for the current inputs is ready.
 * `compute` must be memoised on its inputs: a new function means new inputs.
 */
export function useDeferredResult<T>(compute: () => T): T | null {
  const [state, setState] = useState<{ compute: () => T; value: T } | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setState({ compute, value: compute() }), 0);
    return () => clearTimeout(timer);
  }, [compute]);
  return state && state.compute === compute ? state.value : null;
}
