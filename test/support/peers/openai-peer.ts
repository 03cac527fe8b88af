import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

/**
 * An OpenAI-compatible /v1/chat/completions (as OpenAI, Ollama and vLLM serve it): bearer key,
 * `model` and `messages` required, `choices[0].message.content` and `usage` in the answer,
 * `{error: {message, type, code}}` with the HTTP status on failure, 429 with Retry-After.
 */
export class OpenAIPeer extends HttpPeer {
  content = '{}';
  failWith: { status: number; message: string } | null = null;
  hang = false;

  constructor(readonly apiKey: string) {
    super((r) => this.answer(r));
  }

  /** The API base including /v1, as a provider is configured with it. */
  get apiUrl(): string {
    return `${this.baseUrl}/v1`;
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.headers.authorization !== `Bearer ${this.apiKey}`)
      return {
        status: 401,
        body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } },
      };
    if (request.url.pathname !== '/v1/chat/completions')
      return { status: 404, body: { error: { message: 'Not found', type: 'invalid_request_error', code: null } } };
    const body = JSON.parse(request.body);
    if (!body.model || !Array.isArray(body.messages) || body.messages.length === 0)
      return {
        status: 400,
        body: { error: { message: "'model' and 'messages' are required", type: 'invalid_request_error', code: null } },
      };
    if (this.hang) return { status: 200, hang: true };
    if (this.failWith)
      return {
        status: this.failWith.status,
        body: { error: { message: this.failWith.message, type: 'server_error', code: null } },
        headers: this.failWith.status === 429 ? { 'retry-after': '1' } : {},
      };
    return {
      status: 200,
      body: {
        id: `chatcmpl-${this.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: this.content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 400, completion_tokens: 60, total_tokens: 460 },
      },
    };
  }
}
