/**
 * OTLP JSON Lines: what OpenTelemetry Collector's file exporter writes (`format: json`), one
 * ExportTraceServiceRequest `{resourceSpans: […]}` (or `{resource_spans: […]}`, the protobuf field
 * names: otel-spans.ts reads both) per line, each line a batch of spans. A trace's
 * spans may be spread over many lines, so the spans are gathered until the file ends and then read
 * trace by trace as otel.ts reads one document; each trajectory names the first line holding its
 * trace. A line that is not OTLP is refused at its line; a span or a trace that cannot be read is
 * reported at its line and the rest loads.
 */
import type { SessionAdapter, SessionContext, SessionReader, SessionTrajectory } from '../adapter';
import { noTraceError, trajectoriesOfSpans } from './otel';
import { otlpRootKey, probeOtlp, readOtlpSpans, type OtlpSpan } from './otel-spans';
import { FormatError, isObject } from './shape';

function open(ctx: SessionContext): SessionReader {
  const spans: OtlpSpan[] = [];
  const lineOf = new Map<OtlpSpan, number>();
  let refused = 0;
  /** The resource spans' key as the first line writes it, for the error of a file without traces. */
  let rootKey: string | undefined;
  return {
    readLine(value, line) {
      const miss = probeOtlp(value);
      if (miss) throw new FormatError(miss.path, miss.expected, miss.found);
      if (isObject(value)) rootKey ??= otlpRootKey(value);
      const read = readOtlpSpans(
        value,
        (_ordinal, error) => {
          refused += 1;
          ctx.refuse(error, line);
        },
        spans.length + refused,
      );
      for (const span of read) {
        spans.push(span);
        lineOf.set(span, line);
      }
      return [];
    },
    end() {
      const out: SessionTrajectory[] = [];
      const firstLine = new Map<string, number>();
      for (const span of spans) if (!firstLine.has(span.traceId)) firstLine.set(span.traceId, lineOf.get(span)!);
      const trajectories = trajectoriesOfSpans(spans, (span, error) => {
        refused += 1;
        ctx.refuse(error, lineOf.get(span)!);
      });
      for (const trajectory of trajectories) out.push({ trajectory, line: firstLine.get(trajectory.id)! });
      if (out.length === 0 && refused === 0) throw noTraceError(spans, rootKey);
      return out;
    },
  };
}

export const otelLinesAdapter: SessionAdapter = {
  id: 'otel',
  name: 'OpenTelemetry traces (OTLP JSON Lines)',
  signature: 'one {resourceSpans: […]} export request per line',
  detectHead: (head) => head.every((value) => isObject(value) && probeOtlp(value) === null),
  open,
};
