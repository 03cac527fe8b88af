/** What a peer answered, for classification and for the attempt record. */
export interface PeerResponse {
  status: number;
  headers: Headers;
  text: string;
  latencyMs: number;
}

export const DEFAULT_PEER_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The one way AlertAgent POSTs to a peer: a hard timeout, no redirects (a webhook URL that
 * redirects is a misconfiguration, and following it could leak the body elsewhere), and the
 * answer read up to a bound. Network failures and timeouts reject; any HTTP status resolves.
 */
export async function postToPeer(url: string, body: string, headers: Record<string, string>, timeoutMs = DEFAULT_PEER_TIMEOUT_MS): Promise<PeerResponse> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = (await response.text()).slice(0, MAX_ANSWER_BYTES);
  return { status: response.status, headers: response.headers, text, latencyMs: performance.now() - started };
}

/** A short, single-line description of a failed request, for error messages and attempt records. */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  // Checked by name, not instanceof: fetch's errors may come from another realm (e.g. a test VM).
  const failure = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (failure?.name === 'TimeoutError' || failure?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = failure?.cause;
  if (cause?.code) return cause.message && !cause.message.startsWith(cause.code) ? `${cause.code}: ${cause.message}` : (cause.message ?? cause.code);
  if (cause?.message) return cause.message;
  return failure?.message ?? String(err);
}

/** First bytes of a peer's answer, safe to store and show. */
export function excerpt(text: string, max = 500): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
