import { describeNetworkError, excerpt, isEgressDenial, type PeerClient, type PeerResponse, type TlsOptions } from '../../shared/http-post';
import type { AnalysisContext } from '../context-builder';

export interface ProviderCall {
  analysisId: string;
  context: AnalysisContext;
  prompt: string;
  /** Where an asynchronous provider (n8n) posts the result, and the one-off token it must send. */
  callback: { url: string; token: string };
  /** A Dify conversation to continue (the previous analysis of the same alert). */
  conversationId: string | null;
  timeoutMs: number;
}

export type ProviderOutcome =
  | { kind: 'answer'; answer: unknown; model?: string | null; tokens?: number | null; executionId?: string | null; conversationId?: string | null }
  /** Accepted; the result will arrive through the callback. */
  | { kind: 'pending'; executionId?: string | null };

/** A provider call that failed; `retryable` says whether trying again can help. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export interface AnalysisProvider {
  run(call: ProviderCall): Promise<ProviderOutcome>;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

/** How a provider reaches its peer: the HTTP client under the egress policy, and the provider's TLS settings. */
export interface ProviderHttp {
  peers: PeerClient;
  tls?: TlsOptions;
}

/** POSTs JSON to a provider; network failures and timeouts become retryable ProviderErrors (an egress refusal, a final one). */
export async function postJson(http: ProviderHttp, url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<PeerResponse> {
  try {
    return await http.peers.call('POST', url, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, timeoutMs, maxAnswerBytes: MAX_ANSWER_BYTES, tls: http.tls });
  } catch (err) {
    throw networkFailure(err, timeoutMs);
  }
}

export function networkFailure(err: unknown, timeoutMs: number): ProviderError {
  const message = describeNetworkError(err, timeoutMs);
  return new ProviderError(message, !isEgressDenial(err), message.startsWith('no answer within'));
}

export function parseJson(response: PeerResponse, peer: string): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    throw new ProviderError(`${peer} answered HTTP ${response.status} with a body that is not JSON: ${excerpt(response.text, 200)}`, response.status >= 500);
  }
}
