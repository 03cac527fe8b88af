import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../../config';
import type { Logger } from '../../shared/logger';
import { setSpansRecorded } from '../../shared/spans';

export { inSpan, SpanKind, SpanStatusCode, traceHeaders } from '../../shared/spans';

/**
 * OpenTelemetry tracing of the alert path: the webhook, each pipeline stage, each channel send
 * and each call to a peer, with `traceparent` passed on to webhook peers and analysis providers.
 * Off unless an OTLP endpoint is configured; off, every span is the API's no-op (see shared/spans).
 */
export interface Tracing {
  shutdown(): Promise<void>;
}

/** Sets up the exporter for this process when `tracing.otlpEndpoint` is set; null otherwise. */
export function startTracing(settings: Config['tracing'], attributes: { role: string; version: string }, logger: Logger): Tracing | null {
  if (!settings.otlpEndpoint) return null;
  const exporter = new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.serviceName,
      'service.version': attributes.version,
      'alertagent.role': attributes.role,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
  });
  // Registers the W3C trace-context propagator and the async context manager for this process.
  provider.register();
  setSpansRecorded(true);
  logger.info({ endpoint: settings.otlpEndpoint, sampleRatio: settings.sampleRatio }, 'tracing to an OTLP collector');
  return {
    shutdown: async () => {
      setSpansRecorded(false);
      await provider.shutdown().catch((err: Error) => logger.warn({ err: err.message }, 'could not flush the last spans'));
    },
  };
}
