import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: string;
}

/**
 * An OpenTelemetry collector's OTLP/HTTP trace receiver: POST /v1/traces with an
 * ExportTraceServiceRequest in JSON encoding (ids as hex strings), answered with an
 * ExportTraceServiceResponse; other paths 404, other encodings 415, malformed bodies 400.
 */
export class OtlpCollectorPeer extends HttpPeer {
  readonly spans: CollectedSpan[] = [];

  constructor() {
    super((request) => this.receive(request));
  }

  private receive(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== '/v1/traces') return { status: 404, body: { error: 'not found' } };
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json'))
      return { status: 415, body: { error: 'this receiver takes OTLP/JSON' } };
    let body: { resourceSpans?: Array<{ resource?: { attributes?: Attribute[] }; scopeSpans?: Array<{ spans?: RawSpan[] }> }> };
    try {
      body = JSON.parse(request.body);
    } catch {
      return { status: 400, body: { error: 'body is not JSON' } };
    }
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service = String(attributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            attributes: attributes(span.attributes),
            service,
          });
        }
      }
    }
    return { status: 200, body: { partialSuccess: {} } };
  }
}

interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}

interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Attribute[];
}

function attributes(list: Attribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    list.map(({ key, value }) => [
      key,
      value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue)),
    ]),
  );
}
