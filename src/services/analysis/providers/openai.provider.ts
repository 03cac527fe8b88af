import { z } from 'zod';
import { CERTIFICATE_NEEDS_KEY, certificateHasKey, tlsKeySchema, tlsSchema } from '../../shared/tls-options';
import { httpBaseUrl } from '../../../config';
import { excerpt } from '../../../shared/http-post';
import { ANALYSIS_INSTRUCTIONS } from '../context-builder';
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

export const openaiConfigSchema = z
  .strictObject({
    /** The API base including /v1, e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama), http://vllm:8000/v1. */
    baseUrl: httpBaseUrl,
    model: z.string().min(1).max(200),
    temperature: z.number().min(0).max(2).default(0.2),
    /** Ask for a JSON object (response_format); turn off for servers that do not support it. */
    jsonMode: z.boolean().default(true),
    tls: tlsSchema.optional(),
    tlsKey: tlsKeySchema.optional(),
  })
  .refine(certificateHasKey, CERTIFICATE_NEEDS_KEY);
export type OpenAIConfig = z.output<typeof openaiConfigSchema>;

/** An OpenAI-compatible chat-completions endpoint: hosted models, Ollama, vLLM. */
export class OpenAIProvider implements ProviderProtocol {
  constructor(
    private readonly config: OpenAIConfig,
    private readonly apiKey: string | null,
    private readonly http: ProviderHttp,
  ) {}

  async run(call: ProviderCall): Promise<ProviderOutcome> {
    const response = await postJson(
      this.http,
      `${this.config.baseUrl}/chat/completions`,
      {
        model: this.config.model,
        temperature: this.config.temperature,
        messages: [
          { role: 'system', content: ANALYSIS_INSTRUCTIONS },
          { role: 'user', content: JSON.stringify(call.context) },
        ],
        ...(this.config.jsonMode ? { response_format: { type: 'json_object' } } : {}),
      },
      this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
      call.timeoutMs,
    );
    if (response.status !== 200) {
      let detail = excerpt(response.text, 300);
      try {
        detail = (JSON.parse(response.text) as { error?: { message?: string } }).error?.message ?? detail;
      } catch {
        // not JSON: the excerpt stands
      }
      throw new ProviderError(
        `model endpoint answered HTTP ${response.status}: ${detail}`,
        response.status === 429 || response.status >= 500,
      );
    }
    const body = parseJson(response, 'the model endpoint') as {
      id?: string;
      model?: string;
      choices?: Array<{ message?: { content?: string } }>;
      usage?: { total_tokens?: number };
    };
    const content = body.choices?.[0]?.message?.content;
    if (content === undefined) throw new ProviderError('the model endpoint answered without choices[0].message.content', true);
    return {
      kind: 'answer',
      answer: content,
      model: body.model ?? this.config.model,
      tokens: body.usage?.total_tokens ?? null,
      executionId: body.id ?? null,
    };
  }
}

export const openaiPlugin: AnalysisProviderPlugin<OpenAIConfig> = {
  type: 'openai',
  description: 'An OpenAI-compatible chat-completions endpoint (hosted models, Ollama, vLLM)',
  schema: openaiConfigSchema as unknown as AnalysisProviderPlugin<OpenAIConfig>['schema'],
  secretFields: ['tlsKey'],
  protocol: (config, secret, http) => new OpenAIProvider(config, secret, http),
};
