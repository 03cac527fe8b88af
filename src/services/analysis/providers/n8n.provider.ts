import { z } from 'zod';
import { CERTIFICATE_NEEDS_KEY, certificateHasKey, tlsKeySchema, tlsSchema } from '../../shared/tls-options';
import { httpBaseUrl } from '../../../config';
import { excerpt } from '../../../shared/http-post';
import {
  parseJson,
  postJson,
  ProviderError,
  type ProviderHttp,
  type AnalysisProviderPlugin,
  type ProviderProtocol,
  type ProviderCall,
  type ProviderOutcome,
} from './provider';

export const n8nConfigSchema = z
  .strictObject({
    webhookUrl: httpBaseUrl,
    /** The header n8n's Header Auth credential checks; its value is the provider's secret. */
    authHeaderName: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name')
      .default('X-N8N-Auth'),
    /** respond: the workflow answers the webhook with the result; callback: it answers at once and posts the result back later. */
    mode: z.enum(['respond', 'callback']).default('respond'),
    tls: tlsSchema.optional(),
    tlsKey: tlsKeySchema.optional(),
  })
  .refine(certificateHasKey, CERTIFICATE_NEEDS_KEY);
export type N8nConfig = z.output<typeof n8nConfigSchema>;

/** Pulls the analysis out of what a "respond" workflow returned: an object, n8n's item list, or a text field. */
function answerOf(body: unknown): unknown {
  const item = Array.isArray(body) ? body[0] : body;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    for (const key of ['output', 'text', 'answer', 'result']) if (record[key] !== undefined) return record[key];
  }
  return item;
}

/**
 * An n8n workflow started through its Webhook node (header auth). In `respond` mode the webhook's
 * answer is the analysis; in `callback` mode n8n answers at once and the workflow posts the
 * result to AlertAgent's callback URL with the one-off token it was given.
 */
export class N8nProvider implements ProviderProtocol {
  constructor(
    private readonly config: N8nConfig,
    private readonly secret: string | null,
    private readonly http: ProviderHttp,
  ) {}

  async run(call: ProviderCall): Promise<ProviderOutcome> {
    const headers: Record<string, string> = this.secret ? { [this.config.authHeaderName]: this.secret } : {};
    const response = await postJson(
      this.http,
      this.config.webhookUrl,
      {
        analysisId: call.analysisId,
        instructions: call.prompt,
        context: call.context,
        callbackUrl: call.callback.url,
        callbackToken: call.callback.token,
      },
      headers,
      call.timeoutMs,
    );
    const executionId = response.header('x-n8n-execution-id') ?? null;
    if (response.status === 404)
      throw new ProviderError(`n8n: the webhook is not registered (is the workflow active?): ${excerpt(response.text, 200)}`, false);
    if (response.status === 401 || response.status === 403)
      throw new ProviderError(`n8n refused the credentials (HTTP ${response.status}): check the auth header`, false);
    if (response.status === 429 || response.status >= 500)
      throw new ProviderError(`n8n answered HTTP ${response.status}: ${excerpt(response.text, 300)}`, true);
    if (response.status < 200 || response.status >= 300)
      throw new ProviderError(`n8n answered HTTP ${response.status}: ${excerpt(response.text, 300)}`, false);
    if (this.config.mode === 'callback') return { kind: 'pending', executionId };
    return { kind: 'answer', answer: answerOf(parseJson(response, 'n8n')), executionId };
  }
}

export const n8nPlugin: AnalysisProviderPlugin<N8nConfig> = {
  type: 'n8n',
  description:
    'An n8n workflow started through its Webhook node (header auth); answers in the webhook response or later through a callback',
  schema: n8nConfigSchema as unknown as AnalysisProviderPlugin<N8nConfig>['schema'],
  /** An n8n production webhook URL is enough to start the workflow: kept as a secret. */
  secretFields: ['webhookUrl', 'tlsKey'],
  protocol: (config, secret, http) => new N8nProvider(config, secret, http),
};
