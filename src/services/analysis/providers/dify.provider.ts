import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import { CERTIFICATE_NEEDS_KEY, certificateHasKey, tlsKeySchema, tlsSchema } from '../../shared/tls-options';
import { httpBaseUrl } from '../../../config';
import { excerpt, withDeadline } from '../../../shared/http-post';
import { ANALYSIS_INSTRUCTIONS } from '../context-builder';
import {
  networkFailure,
  parseJson,
  postJson,
  ProviderError,
  type ProviderHttp,
  type AnalysisProviderPlugin,
  type ProviderProtocol,
  type ProviderCall,
  type ProviderOutcome,
} from './provider';

export const difyConfigSchema = z
  .strictObject({
    /** The App API base, e.g. https://api.dify.ai/v1 or http://dify.internal/v1. */
    baseUrl: httpBaseUrl,
    app: z.enum(['workflow', 'chat']).default('workflow'),
    responseMode: z.enum(['blocking', 'streaming']).default('streaming'),
    /** The workflow output variable holding the answer (when absent, every output is the answer). */
    outputKey: z.string().min(1).max(100).default('text'),
    user: z.string().min(1).max(100).default('alertagent'),
    tls: tlsSchema.optional(),
    tlsKey: tlsKeySchema.optional(),
  })
  .refine(certificateHasKey, CERTIFICATE_NEEDS_KEY);
export type DifyConfig = z.output<typeof difyConfigSchema>;

/** Dify's error codes that another try can clear; the rest need a fix (parameters, key, model setup, quota). */
const RETRYABLE_CODES = new Set(['too_many_requests', 'internal_server_error']);

interface DifyError {
  code?: string;
  message?: string;
  status?: number;
}

function difyFailure(error: DifyError, httpStatus: number): ProviderError {
  const code = error.code ?? `http_${httpStatus}`;
  const retryable = RETRYABLE_CODES.has(code) || (error.code === undefined && (httpStatus === 429 || httpStatus >= 500));
  return new ProviderError(`Dify ${code}: ${error.message ?? 'no message'}`, retryable);
}

interface Collected {
  answer: unknown;
  tokens: number | null;
  executionId: string | null;
  conversationId: string | null;
}

/**
 * A Dify app through its App API: a workflow (`/workflows/run`, inputs `alert_context` and
 * `instructions`) or a chat app (`/chat-messages`, the prompt as the query, continuing the
 * alert's conversation), in blocking or streaming (SSE) mode, with Dify's error envelope and
 * in-stream `error` events mapped to retryable or not.
 */
export class DifyProvider implements ProviderProtocol {
  constructor(
    private readonly config: DifyConfig,
    private readonly apiKey: string | null,
    private readonly http: ProviderHttp,
  ) {}

  async run(call: ProviderCall): Promise<ProviderOutcome> {
    if (!this.apiKey) throw new ProviderError('Dify needs the app’s API key (the provider secret)', false);
    const { app, responseMode, user } = this.config;
    const url = `${this.config.baseUrl}/${app === 'workflow' ? 'workflows/run' : 'chat-messages'}`;
    const body =
      app === 'workflow'
        ? {
            inputs: { alert_context: JSON.stringify(call.context), instructions: ANALYSIS_INSTRUCTIONS },
            response_mode: responseMode,
            user,
          }
        : {
            inputs: {},
            query: call.prompt,
            response_mode: responseMode,
            user,
            ...(call.conversationId ? { conversation_id: call.conversationId } : {}),
          };
    const headers = { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' };
    const collected =
      responseMode === 'blocking'
        ? await this.blocking(url, body, headers, call.timeoutMs)
        : await this.streaming(url, body, headers, call.timeoutMs);
    return { kind: 'answer', ...collected };
  }

  private async blocking(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<Collected> {
    const response = await postJson(this.http, url, body, headers, timeoutMs);
    // biome-ignore lint/suspicious/noExplicitAny: Dify's answers are loose JSON; each field is checked where it is read
    const parsed = parseJson(response, 'Dify') as Record<string, any>;
    if (response.status !== 200) throw difyFailure(parsed as DifyError, response.status);
    if (this.config.app === 'chat') {
      return {
        answer: parsed.answer,
        tokens: parsed.metadata?.usage?.total_tokens ?? null,
        executionId: parsed.message_id ?? null,
        conversationId: parsed.conversation_id ?? null,
      };
    }
    return this.workflowResult(parsed.data ?? {}, parsed.workflow_run_id ?? null);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as in blocking()
  private workflowResult(data: Record<string, any>, runId: string | null): Collected {
    if (data.status !== 'succeeded')
      throw new ProviderError(`Dify workflow ${data.status ?? 'ended'}: ${data.error ?? 'no error given'}`, data.status === 'failed');
    const outputs = (data.outputs ?? {}) as Record<string, unknown>;
    return {
      answer: outputs[this.config.outputKey] ?? outputs,
      tokens: data.total_tokens ?? null,
      executionId: runId ?? data.id ?? null,
      conversationId: null,
    };
  }

  private streaming(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<Collected> {
    return withDeadline(timeoutMs, (signal) => this.readStream(url, body, headers, timeoutMs, signal));
  }

  private async readStream(
    url: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Collected> {
    let stream: Awaited<ReturnType<typeof this.http.peers.stream>>;
    try {
      stream = await this.http.peers.stream(url, { body: JSON.stringify(body), headers, signal, tls: this.http.tls });
    } catch (err) {
      throw networkFailure(err, timeoutMs);
    }
    if (stream.status !== 200) {
      let text = '';
      for await (const chunk of stream.chunks) text += chunk;
      let error: DifyError = {};
      try {
        error = JSON.parse(text);
      } catch {
        error = { message: excerpt(text, 200) };
      }
      throw difyFailure(error, stream.status);
    }
    let answer = '';
    let result: Collected | null = null;
    let failure: ProviderError | null = null;
    let messageId: string | null = null;
    let conversationId: string | null = null;
    let tokens: number | null = null;
    const parser = createParser({
      onEvent: (event) => {
        // biome-ignore lint/suspicious/noExplicitAny: as in blocking()
        let data: Record<string, any>;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        switch (data.event) {
          case 'message':
          case 'agent_message':
            answer += data.answer ?? '';
            messageId ??= data.message_id ?? null;
            conversationId ??= data.conversation_id ?? null;
            break;
          case 'message_end':
            tokens = data.metadata?.usage?.total_tokens ?? null;
            result = {
              answer,
              tokens,
              executionId: messageId ?? data.message_id ?? null,
              conversationId: conversationId ?? data.conversation_id ?? null,
            };
            break;
          case 'workflow_finished':
            try {
              result = this.workflowResult(data.data ?? {}, data.workflow_run_id ?? null);
            } catch (err) {
              failure = err as ProviderError;
            }
            break;
          case 'error':
            failure = difyFailure(data as DifyError, data.status ?? 500);
            break;
          default:
          // workflow_started, node_started, node_finished, ping …: progress only
        }
      },
    });
    try {
      for await (const chunk of stream.chunks) {
        parser.feed(chunk);
        if (result || failure) break;
      }
    } catch (err) {
      throw networkFailure(err, timeoutMs);
    }
    if (failure) throw failure;
    if (!result) throw new ProviderError('Dify closed the stream before the run finished', true);
    return result;
  }
}

export const difyPlugin: AnalysisProviderPlugin<DifyConfig> = {
  type: 'dify',
  description: 'A Dify workflow or chat app through its App API, blocking or streaming',
  schema: difyConfigSchema as unknown as AnalysisProviderPlugin<DifyConfig>['schema'],
  secretFields: ['tlsKey'],
  protocol: (config, secret, http) => new DifyProvider(config, secret, http),
};
