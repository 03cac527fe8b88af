import {
  describeNetworkError,
  excerpt,
  isEgressDenial,
  type PeerClient,
  type PeerResponse,
  type TlsOptions,
} from '../../../shared/http-post';
import { classifyHttpStatus, retryAfterMs, type SendOutcome } from '../channel-plugin';

/**
 * Posts a body and lets the plugin judge the answer; a network failure or timeout is retryable,
 * a call the egress policy refuses is not. Every plugin that speaks HTTP goes through here.
 */
export async function sendOverHttp(
  peers: PeerClient,
  request: { url: string; body: string; headers: Record<string, string>; timeoutMs: number; tls?: TlsOptions },
  judge: (response: PeerResponse) => SendOutcome,
): Promise<SendOutcome> {
  const started = performance.now();
  let response: PeerResponse;
  try {
    response = await peers.post(request.url, request.body, request.headers, request.timeoutMs, request.tls);
  } catch (err) {
    return {
      ok: false,
      retryable: !isEgressDenial(err),
      latencyMs: performance.now() - started,
      error: describeNetworkError(err, request.timeoutMs),
    };
  }
  return judge(response);
}

/** For peers that answer `{ errcode, errmsg }` in a 200 body (DingTalk, WeCom). */
export function judgeErrcode(response: PeerResponse, retryableCodes: ReadonlySet<number>, peer: string): SendOutcome {
  const { status, text, latencyMs } = response;
  const peerAnswer = excerpt(text);
  if (status !== 200) {
    return {
      ok: false,
      retryable: status === 429 || status >= 500,
      status,
      latencyMs,
      error: `${peer} answered HTTP ${status}`,
      peerAnswer,
    };
  }
  let parsed: { errcode?: unknown; errmsg?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, retryable: true, status, latencyMs, error: `${peer} answered with a body that is not JSON`, peerAnswer };
  }
  if (parsed.errcode === 0) return { ok: true, status, latencyMs, peerAnswer };
  const code = Number(parsed.errcode);
  return {
    ok: false,
    retryable: retryableCodes.has(code),
    status,
    latencyMs,
    error: `${peer} errcode ${String(parsed.errcode)}: ${String(parsed.errmsg ?? '')}`,
    peerAnswer,
  };
}

/** For peers whose HTTP status is the verdict (Slack, generic webhooks); Retry-After is honoured when sent. */
export function judgeHttpStatus(response: PeerResponse, describe: (status: number, answer: string) => string): SendOutcome {
  const { ok, retryable } = classifyHttpStatus(response.status);
  const peerAnswer = excerpt(response.text);
  if (ok) return { ok: true, status: response.status, latencyMs: response.latencyMs, peerAnswer };
  return {
    ok: false,
    retryable,
    retryAfterMs: retryAfterMs(response.header('retry-after') ?? null),
    status: response.status,
    latencyMs: response.latencyMs,
    error: describe(response.status, peerAnswer),
    peerAnswer,
  };
}
