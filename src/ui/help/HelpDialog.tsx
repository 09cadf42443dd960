import { SHORTCUTS } from '../keyboard/use-keyboard-shortcuts';

/** What the numbers mean, the assumption behind them, and the keys. */
export function HelpDialog({ onClose }: { onClose: () => void }) {
  return (
    <div className="help-backdrop" onClick={onClose}>
      <div className="help-dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help-dialog" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title">How to read this</h2>
        <p>
          Every token the agent wrote gets its <strong>progress advantage</strong> A = β·(log π<sub>θ</sub>(token | prefix) − log π<sub>ref</sub>(token |
          prefix)), from one forward pass of the RL-post-trained policy π<sub>θ</sub> and one of its reference π<sub>ref</sub>. Blue tokens gained ground
          (the policy likes them more than its reference does), red tokens lost it. Only the agent's own tokens are scored; user, tool and system text is
          context.
        </p>
        <p>
          <strong>The assumption.</strong> KL-regularised RL has the optimum π*(a|s) = π<sub>ref</sub>(a|s)·exp(A*(s,a)/β), so β·log(π*/π<sub>ref</sub>) is
          exactly the optimal soft advantage A* = Q* − V*. This holds when the policy is the KL-optimal one for its reward and β. A real policy is not: then
          the same ratio is the advantage under the reward the policy itself implies, and the gap to A* measures how far RL training got. The numbers are
          evidence, not ground truth.
        </p>
        <p>
          A step's token advantages add up (inside a step the environment is deterministic) to the step-level advantage Q*(s, step) − V*(s); with token
          aggregation <code>sum</code> the step score is exactly that. The step curve shows the step scores and their running sum; the decisive failure
          step is where that sum is lowest (<code>min_cumulative</code>), the most negative step (<code>sharpest_drop</code>), or the sharpest fall between
          two steps (<code>sharpest_abs_drop</code>).
        </p>
        <h3>Keys</h3>
        <table className="help-keys">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <th>
                  <kbd>{s.keys}</kbd>
                </th>
                <td>{s.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}
