import { context, INVALID_SPAN_CONTEXT, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../../config';
import type { Logger } from './logger';

/**
 * OpenTelemetry tracing of the alert path: the webhook, each pipeline stage, each channel send
 * and each call to a peer, with `traceparent` passed on to webhook peers and analysis providers.
 * Off unless an OTLP endpoint is configured; off, every span below is the API's no-op.
 */
const tracer = trace.getTracer('alertagent');
/** Whether this process exports traces; when not, inSpan skips even the API's no-op work (the webhook is the hottest path). */
let enabled = false;
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface Tracing {
  shutdown(): Promise<void>;
}

/** Sets up the exporter for this process when `tracing.otlpEndpoint` is set; null otherwise. */
export function startTracing(settings: Config['tracing'], attributes: { role: string; version: string }, logger: Logger): Tracing | null {
  if (!settings.otlpEndpoint) return null;
  const exporter = new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': attributes.version, 'alertagent.role': attributes.role }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
  });
  // Registers the W3C trace-context propagator and the async context manager for this process.
  provider.register();
  enabled = true;
  logger.info({ endpoint: settings.otlpEndpoint, sampleRatio: settings.sampleRatio }, 'tracing to an OTLP collector');
  return {
    shutdown: async () => {
      enabled = false;
      await provider.shutdown().catch((err: Error) => logger.warn({ err: err.message }, 'could not flush the last spans'));
    },
  };
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
  if (!enabled) return work(NOT_RECORDING);
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
  if (!enabled) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export { SpanKind, SpanStatusCode };
