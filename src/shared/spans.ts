import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';

/**
 * Spans around work and the trace context passed on to peers, through the OpenTelemetry API
 * only: shared by the server and the sidecar. Whether anything is recorded is decided by whoever
 * starts an exporter (services/observability/tracing); until then every span is a no-op.
 */
const tracer = trace.getTracer('alertagent');
/** Whether this process exports traces; when not, inSpan skips even the API's no-op work (the webhook is the hottest path). */
let recorded = false;
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Called by the process that starts (or stops) exporting traces. */
export function setSpansRecorded(on: boolean): void {
  recorded = on;
}

/**
 * Runs `work` in a span, a child of the span in force (or of `parent`, a caller's trace context
 * from headers); the span ends with the work and records a thrown error. Attributes may be given
 * as a function, computed only when the span is recorded. Not `async`: untraced, it is a plain
 * call, with no promise of its own on the alert path.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes | (() => Attributes),
  work: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Record<string, string | string[] | undefined> } = {},
): Promise<T> {
  if (!recorded) return work(NOT_RECORDING);
  const parent = options.parent ? propagation.extract(context.active(), options.parent) : context.active();
  const spanAttributes = typeof attributes === 'function' ? attributes() : attributes;
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: spanAttributes }, parent, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** `traceparent` (and `tracestate`) of the span in force, for an outgoing call; empty when nothing is traced. */
export function traceHeaders(): Record<string, string> {
  if (!recorded) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export { SpanKind, SpanStatusCode };
