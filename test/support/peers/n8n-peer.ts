import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

/**
 * n8n's Webhook node as documented: a production URL /webhook/<path> that exists only while the
 * workflow is active (404 "not registered" otherwise), Header Auth (403 on a wrong value), and two
 * response modes — the last node's output as the answer, or "Workflow was started" at once with
 * the result posted later (here: to AlertAgent's callback URL with the token it was given).
 */
export class N8nPeer extends HttpPeer {
  active = true;
  mode: 'respond' | 'callback' = 'respond';
  /** What the workflow's LLM step "answered". */
  answer: unknown = {};
  /** 500 = the workflow errored in respond mode; in callback mode the callback reports an error. */
  workflowError: string | null = null;
  callbackDelayMs = 50;
  readonly callbacks: Array<{ status: number; body: string }> = [];

  constructor(
    readonly path: string,
    readonly headerName: string,
    readonly headerValue: string,
  ) {
    super((r) => this.reply(r));
  }

  get webhookUrl(): string {
    return `${this.baseUrl}/webhook/${this.path}`;
  }

  get executions(): Array<Record<string, any>> {
    return this.requests.map((r) => JSON.parse(r.body || '{}'));
  }

  private reply(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== `/webhook/${this.path}` || !this.active) {
      return {
        status: 404,
        body: {
          code: 404,
          message: `The requested webhook "${request.method} ${request.url.pathname.replace('/webhook/', '')}" is not registered.`,
          hint: 'The workflow must be active for a production URL to run successfully. You can activate the workflow using the toggle in the top-right of the editor.',
        },
      };
    }
    if (request.headers[this.headerName.toLowerCase()] !== this.headerValue) return { status: 403, body: 'Authorization data is wrong!' };
    const body = JSON.parse(request.body);
    const executionId = String(1000 + this.requests.length);
    if (this.mode === 'callback') {
      setTimeout(() => void this.callBack(body, executionId), this.callbackDelayMs);
      return { status: 200, body: { message: 'Workflow was started' } };
    }
    if (this.workflowError) return { status: 500, body: { code: 0, message: 'Error in workflow' } };
    return { status: 200, body: [{ output: this.answer }], headers: { 'x-n8n-execution-id': executionId } };
  }

  private async callBack(body: Record<string, any>, executionId: string): Promise<void> {
    const payload = this.workflowError
      ? { executionId, status: 'error', error: this.workflowError }
      : { executionId, status: 'success', result: this.answer };
    const response = await fetch(body.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${body.callbackToken}` },
      body: JSON.stringify(payload),
    });
    this.callbacks.push({ status: response.status, body: await response.text() });
    // n8n may retry a callback node; the second post must change nothing.
    const again = await fetch(body.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${body.callbackToken}` },
      body: JSON.stringify({ ...payload, result: { root_cause: 'a different answer', confidence: 0.1, suggested_actions: [] } }),
    });
    this.callbacks.push({ status: again.status, body: await again.text() });
  }
}
