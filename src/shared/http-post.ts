import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, errors as undiciErrors, request } from 'undici';
import { inSpan, SpanKind, traceHeaders } from './spans';

/** What a peer answered, for classification and for the attempt record. */
export interface PeerResponse {
  status: number;
  /** A response header, lower-case name; the first value when the peer sent several. */
  header(name: string): string | undefined;
  text: string;
  latencyMs: number;
}

export const DEFAULT_PEER_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** TLS settings of one target: its CA, a client certificate, the lowest version; skipping verification only when asked outright. */
export interface TlsOptions {
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  insecureSkipVerify?: boolean;
}

/** The policy the client asks before a call goes out (see EgressPolicy). */
export interface EgressCheck {
  urlDenial(url: string): string | null;
  lookup(
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void;
  resolve(host: string): Promise<string>;
}

/** For callers whose targets the operator fixed on the host (the sidecar): no policy. */
export const NO_EGRESS_POLICY: EgressCheck = {
  urlDenial: () => null,
  lookup: (hostname, options, callback) => dnsLookup(hostname, options, callback as never),
  resolve: async (host) => host,
};

/** Raised (as a network failure) when the egress policy refuses a call: it will not pass on a retry. */
export class EgressDeniedError extends Error {
  readonly code = 'EEGRESS';
}

/** True for a failure the egress policy caused; retrying it cannot help. */
export function isEgressDenial(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'EEGRESS' || (err as { cause?: { code?: string } } | null)?.cause?.code === 'EEGRESS';
}

/**
 * The one way AlertAgent calls a peer on a user's behalf: the egress policy first (and on every
 * connection, through its DNS lookup), a hard timeout, no redirects (a webhook URL that redirects
 * is a misconfiguration, and following it could leak the body elsewhere), the answer read up to a
 * bound, and TLS per target. Network failures and timeouts reject; any HTTP status resolves.
 */
export class PeerClient {
  // Keep-alive pools, one per TLS setting in use: undici's request costs a fraction of fetch's CPU
  // (no WHATWG streams), which matters on the alert path.
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly egress: EgressCheck) {}

  async call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options: { body?: string; headers?: Record<string, string>; timeoutMs?: number; maxAnswerBytes?: number; tls?: TlsOptions } = {},
  ): Promise<PeerResponse> {
    this.assertAllowed(url);
    const started = performance.now();
    return inSpan(
      `HTTP ${method}`,
      () => {
        const target = new URL(url);
        // No path: robot and bot URLs carry their credential there (Slack, Feishu, Telegram), and traces are not secret.
        return { 'http.request.method': method, 'server.address': target.hostname };
      },
      (span) =>
        withDeadline(options.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS, async (signal) => {
          // The peer (a webhook receiver, n8n, Dify …) can continue the trace from traceparent.
          const response = await request(url, {
            method,
            body: options.body,
            headers: withTraceHeaders(options.headers),
            dispatcher: this.agent(options.tls),
            signal,
          });
          const text = await readBounded(response.body, options.maxAnswerBytes ?? MAX_ANSWER_BYTES);
          span.setAttribute('http.response.status_code', response.statusCode);
          return {
            status: response.statusCode,
            header: headerReader(response.headers),
            text,
            latencyMs: performance.now() - started,
          };
        }),
      { kind: SpanKind.CLIENT },
    );
  }

  post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs = DEFAULT_PEER_TIMEOUT_MS,
    tls?: TlsOptions,
  ): Promise<PeerResponse> {
    return this.call('POST', url, { body, headers, timeoutMs, tls });
  }

  /** A POST whose answer is read as it arrives (server-sent events), under the same policy. */
  async stream(
    url: string,
    options: { body: string; headers: Record<string, string>; signal: AbortSignal; tls?: TlsOptions },
  ): Promise<PeerStream> {
    this.assertAllowed(url);
    const response = await request(url, {
      method: 'POST',
      body: options.body,
      headers: withTraceHeaders(options.headers),
      dispatcher: this.agent(options.tls),
      signal: options.signal,
    });
    response.body.setEncoding('utf8');
    return {
      status: response.statusCode,
      header: headerReader(response.headers),
      chunks: response.body as AsyncIterable<string>,
    };
  }

  /** A checked address for a host, for clients that connect by themselves (SMTP). */
  resolve(host: string): Promise<string> {
    return this.egress.resolve(host);
  }

  /** Called last at shutdown: a request still open then (a peer that never answers) is cut, not awaited. */
  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.destroy()));
    this.agents.clear();
  }

  private assertAllowed(url: string): void {
    const denial = this.egress.urlDenial(url);
    if (denial) throw new EgressDeniedError(`egress policy refused ${url.replace(/^(\w+:\/\/[^/]+).*$/, '$1')}: ${denial}`);
  }

  private agent(tls: TlsOptions | undefined): Agent {
    const key = tls ? JSON.stringify([tls.caPem, tls.certPem, tls.keyPem, tls.minVersion, tls.insecureSkipVerify]) : '';
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        keepAliveTimeout: 30_000,
        connections: 64,
        connect: {
          lookup: this.egress.lookup as never,
          ...(tls?.caPem ? { ca: tls.caPem } : {}),
          ...(tls?.certPem ? { cert: tls.certPem } : {}),
          ...(tls?.keyPem ? { key: tls.keyPem } : {}),
          ...(tls?.minVersion ? { minVersion: tls.minVersion } : {}),
          ...(tls?.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
        },
      });
      this.agents.set(key, agent);
    }
    return agent;
  }
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs` (as a TimeoutError) and a timer that is
 * cleared as soon as the work ends. AbortSignal.timeout would keep every call's objects reachable
 * for the whole timeout: at hundreds of sends a second that fills the old heap, and its
 * collections stall the alert path.
 */
export async function withDeadline<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs).unref();
  try {
    return await work(deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** The call's headers with the trace context added; the same object when nothing is traced. */
function withTraceHeaders(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  const trace = traceHeaders();
  return trace.traceparent ? { ...headers, ...trace } : headers;
}

/** A peer's answer whose body is read as it arrives (server-sent events), with the same bounds on the call. */
export interface PeerStream {
  status: number;
  header(name: string): string | undefined;
  chunks: AsyncIterable<string>;
}

/** A header of the answer by lower-case name; the first value when the peer sent several. */
function headerReader(headers: Record<string, string | string[] | undefined>): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}

/** Reads an answer up to `max` bytes and drops the rest, so a peer cannot make us buffer megabytes. */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** A short, single-line description of a failed request, for error messages and attempt records. */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  // Checked by name, not instanceof: fetch's errors may come from another realm (e.g. a test VM).
  const failure = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (failure?.name === 'TimeoutError' || failure?.name === 'AbortError' || err instanceof undiciErrors.RequestAbortedError)
    return `no answer within ${timeoutMs} ms`;
  if (isEgressDenial(err))
    return failure?.code === 'EEGRESS'
      ? (failure.message ?? 'egress policy refused the call')
      : (failure?.cause?.message ?? 'egress policy refused the call');
  // undici's request rejects with the socket error itself (code on the error, not on a cause).
  if (failure?.code && !failure.code.startsWith('UND_ERR') && failure.message) {
    return failure.message.startsWith(failure.code) ? failure.message : `${failure.code}: ${failure.message}`;
  }
  const cause = failure?.cause;
  if (cause?.code)
    return cause.message && !cause.message.startsWith(cause.code) ? `${cause.code}: ${cause.message}` : (cause.message ?? cause.code);
  if (cause?.message) return cause.message;
  return failure?.message ?? String(err);
}

/** First bytes of a peer's answer, safe to store and show. */
export function excerpt(text: string, max = 500): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
