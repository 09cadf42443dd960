/**
 * The snippet's per-token values (A, log π_θ, log π_ref). A long step's table renders only the rows
 * in view (@tanstack/react-virtual), with spacer rows standing for the others, so a link holding
 * thousands of tokens opens and scrolls at once.
 */
import { useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { formatSigned } from '../dataset/format-metric';

/** Up to this many rows the table is rendered whole (as it always was); above, virtually. */
export const WHOLE_TABLE_ROWS = 200;
const ROW_HEIGHT_PX = 24;

interface Props {
  tokens: readonly string[];
  policy: readonly number[];
  reference: readonly number[];
  beta: number;
}

function ValueRow({ i, token, policy, reference, beta }: { i: number; token: string; policy: number; reference: number; beta: number }) {
  return (
    <tr data-testid="snippet-value-row" data-index={i} style={{ height: ROW_HEIGHT_PX }}>
      <td>{i + 1}</td>
      <td>
        <code>{JSON.stringify(token)}</code>
      </td>
      <td>{formatSigned(beta * (policy - reference))}</td>
      <td>{policy.toFixed(4)}</td>
      <td>{reference.toFixed(4)}</td>
    </tr>
  );
}

const header = (
  <thead>
    <tr>
      <th scope="col">#</th>
      <th scope="col">token</th>
      <th scope="col">A</th>
      <th scope="col">log π_θ</th>
      <th scope="col">log π_ref</th>
    </tr>
  </thead>
);

export function SnippetValuesTable({ tokens, policy, reference, beta }: Props) {
  if (tokens.length <= WHOLE_TABLE_ROWS) {
    return (
      <table className="metric-table" data-testid="snippet-values" data-rows={tokens.length}>
        {header}
        <tbody>
          {tokens.map((token, i) => (
            <ValueRow key={i} i={i} token={token} policy={policy[i]} reference={reference[i]} beta={beta} />
          ))}
        </tbody>
      </table>
    );
  }
  return <VirtualValuesTable tokens={tokens} policy={policy} reference={reference} beta={beta} />;
}

function VirtualValuesTable({ tokens, policy, reference, beta }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: tokens.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT_PX, overscan: 20 });
  const rows = virtualizer.getVirtualItems();
  const before = rows.length > 0 ? rows[0].start : 0;
  const after = rows.length > 0 ? virtualizer.getTotalSize() - rows[rows.length - 1].end : 0;
  return (
    <div ref={scroller} className="snippet-values-scroller" data-testid="snippet-values-scroller">
      <table className="metric-table" data-testid="snippet-values" data-rows={tokens.length}>
        {header}
        <tbody>
          {before > 0 && <tr aria-hidden="true" style={{ height: before }} />}
          {rows.map((row) => (
            <ValueRow key={row.index} i={row.index} token={tokens[row.index]} policy={policy[row.index]} reference={reference[row.index]} beta={beta} />
          ))}
          {after > 0 && <tr aria-hidden="true" style={{ height: after }} />}
        </tbody>
      </table>
    </div>
  );
}
