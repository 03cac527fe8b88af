import type { z } from 'zod';
import {
  describeNetworkError,
  excerpt,
  isEgressDenial,
  type PeerClient,
  type PeerResponse,
  type TlsOptions,
} from '../../../shared/http-post';
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
  | {
      kind: 'answer';
      answer: unknown;
      model?: string | null;
      tokens?: number | null;
      executionId?: string | null;
      conversationId?: string | null;
    }
  /** Accepted; the result will arrive through the callback. */
  | { kind: 'pending'; executionId?: string | null };

/** What a provider call came to: an answer, accepted for a callback, or a failure (a value, never thrown). */
export type ProviderResult = ProviderOutcome | { kind: 'failed'; error: string; retryable: boolean; timedOut: boolean };

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

/** A provider's peer protocol, as its module writes it: failures are thrown as ProviderError inside it. */
export interface ProviderProtocol {
  run(call: ProviderCall): Promise<ProviderOutcome>;
}

/** A provider ready to call: whatever goes wrong comes back as a `failed` result. */
export interface AnalysisProvider {
  run(call: ProviderCall): Promise<ProviderResult>;
}

/**
 * One kind of analysis provider, shaped like a channel plugin: a new type is one module
 * implementing this and one entry in the registry. The schema validates settings; secret fields
 * are sealed at rest and masked in answers.
 */
export interface AnalysisProviderPlugin<C extends Record<string, unknown> = Record<string, unknown>> {
  readonly type: string;
  readonly description: string;
  readonly schema: z.ZodType<C>;
  readonly secretFields: readonly string[];
  protocol(config: C, secret: string | null, http: ProviderHttp): ProviderProtocol;
}

/** The provider a plugin makes for these settings, with its failures turned into values. */
export function createProvider<C extends Record<string, unknown>>(
  plugin: AnalysisProviderPlugin<C>,
  config: C,
  secret: string | null,
  http: ProviderHttp,
): AnalysisProvider {
  const protocol = plugin.protocol(config, secret, http);
  return {
    async run(call) {
      try {
        return await protocol.run(call);
      } catch (err) {
        const failure = err instanceof ProviderError ? err : new ProviderError(`provider call failed: ${(err as Error).message}`, true);
        return { kind: 'failed', error: failure.message, retryable: failure.retryable, timedOut: failure.timedOut };
      }
    },
  };
}

const MAX_ANSWER_BYTES = 1024 * 1024;

/** How a provider reaches its peer: the HTTP client under the egress policy, and the provider's TLS settings. */
export interface ProviderHttp {
  peers: PeerClient;
  tls?: TlsOptions;
}

/** POSTs JSON to a provider; network failures and timeouts become retryable ProviderErrors (an egress refusal, a final one). */
export async function postJson(
  http: ProviderHttp,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PeerResponse> {
  try {
    return await http.peers.call('POST', url, {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
      timeoutMs,
      maxAnswerBytes: MAX_ANSWER_BYTES,
      tls: http.tls,
    });
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
    throw new ProviderError(
      `${peer} answered HTTP ${response.status} with a body that is not JSON: ${excerpt(response.text, 200)}`,
      response.status >= 500,
    );
  }
}
