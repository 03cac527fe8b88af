import { randomUUID } from 'node:crypto';
import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

type Behaviour =
  | { kind: 'answer'; text: string }
  | { kind: 'error'; status: number; code: string; message: string }
  | { kind: 'stream-error'; code: string; message: string }
  | { kind: 'hang' }
  | { kind: 'workflow-failed'; error: string };

/**
 * Dify's App API as documented: bearer API key; POST /v1/workflows/run and /v1/chat-messages in
 * blocking (JSON) and streaming (SSE, `data: {event: …}` with ping events) modes; errors as
 * {code, message, status}, in the body or as an `error` event inside a stream; chat
 * conversations that must exist when a conversation_id is sent.
 */
export class DifyPeer extends HttpPeer {
  behaviour: Behaviour = { kind: 'answer', text: '{}' };
  readonly conversations = new Set<string>();
  tokens = 321;

  constructor(readonly apiKey: string) {
    super((r) => this.answer(r));
  }

  /** The App API base, as a provider is configured with it. */
  get apiUrl(): string {
    return `${this.baseUrl}/v1`;
  }

  get calls(): Array<{ path: string; body: Record<string, any> }> {
    return this.requests.map((r) => ({ path: r.url.pathname, body: JSON.parse(r.body || '{}') }));
  }

  private error(status: number, code: string, message: string): PeerReply {
    return { status, body: { code, message, status } };
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) return this.error(401, 'unauthorized', 'Access token is invalid');
    let body: Record<string, any>;
    try {
      body = JSON.parse(request.body);
    } catch {
      return this.error(400, 'invalid_param', 'Request body is not JSON');
    }
    if (typeof body.user !== 'string' || !body.user) return this.error(400, 'invalid_param', 'user is required');
    if (body.response_mode !== 'blocking' && body.response_mode !== 'streaming')
      return this.error(400, 'invalid_param', 'response_mode must be blocking or streaming');
    if (typeof body.inputs !== 'object' || body.inputs === null) return this.error(400, 'invalid_param', 'inputs is required');
    const behaviour = this.behaviour;
    if (behaviour.kind === 'hang') return { status: 200, hang: true };
    if (behaviour.kind === 'error') return this.error(behaviour.status, behaviour.code, behaviour.message);
    if (request.url.pathname === '/v1/workflows/run') return this.workflow(body, behaviour);
    if (request.url.pathname === '/v1/chat-messages') return this.chat(body, behaviour);
    return this.error(404, 'not_found', 'Not Found');
  }

  private workflow(body: Record<string, any>, behaviour: Behaviour): PeerReply {
    if (typeof body.inputs.alert_context !== 'string')
      return this.error(400, 'invalid_param', 'alert_context in input form must be a string');
    const runId = randomUUID();
    const failed = behaviour.kind === 'workflow-failed';
    const data = {
      id: runId,
      workflow_id: 'wf-alert-analysis',
      status: failed ? 'failed' : 'succeeded',
      outputs: failed ? null : { text: behaviour.kind === 'answer' ? behaviour.text : '' },
      error: failed ? behaviour.error : null,
      elapsed_time: 1.2,
      total_tokens: this.tokens,
      total_steps: 3,
      created_at: Math.floor(Date.now() / 1000),
      finished_at: Math.floor(Date.now() / 1000),
    };
    if (body.response_mode === 'blocking') return { status: 200, body: { workflow_run_id: runId, task_id: randomUUID(), data } };
    const base = { task_id: randomUUID(), workflow_run_id: runId };
    const events: PeerReply['sse'] = [
      { data: { ...base, event: 'workflow_started', data: { id: runId, workflow_id: data.workflow_id, created_at: data.created_at } } },
      { event: 'ping' },
      { data: { ...base, event: 'node_started', data: { node_id: 'llm', node_type: 'llm', title: 'LLM' } }, delayMs: 20 },
      { data: { ...base, event: 'node_finished', data: { node_id: 'llm', status: 'succeeded' } }, delayMs: 20 },
    ];
    if (behaviour.kind === 'stream-error')
      events.push({ data: { event: 'error', task_id: base.task_id, status: 400, code: behaviour.code, message: behaviour.message } });
    else events.push({ data: { ...base, event: 'workflow_finished', data } });
    return { status: 200, sse: events };
  }

  private chat(body: Record<string, any>, behaviour: Behaviour): PeerReply {
    if (typeof body.query !== 'string' || !body.query) return this.error(400, 'invalid_param', 'query is required');
    if (body.conversation_id && !this.conversations.has(body.conversation_id))
      return this.error(404, 'not_found', 'Conversation Not Exists.');
    const conversationId = body.conversation_id || randomUUID();
    this.conversations.add(conversationId);
    const messageId = randomUUID();
    const answer = behaviour.kind === 'answer' ? behaviour.text : '';
    const usage = { prompt_tokens: this.tokens - 21, completion_tokens: 21, total_tokens: this.tokens };
    if (body.response_mode === 'blocking') {
      return {
        status: 200,
        body: {
          event: 'message',
          task_id: randomUUID(),
          id: messageId,
          message_id: messageId,
          conversation_id: conversationId,
          mode: 'chat',
          answer,
          metadata: { usage },
          created_at: Math.floor(Date.now() / 1000),
        },
      };
    }
    const chunks = answer.match(/.{1,16}/gs) ?? [''];
    const events: PeerReply['sse'] = chunks.map((chunk) => ({
      data: {
        event: 'message',
        message_id: messageId,
        conversation_id: conversationId,
        answer: chunk,
        created_at: Math.floor(Date.now() / 1000),
      },
      delayMs: 5,
    }));
    if (behaviour.kind === 'stream-error')
      events.push({ data: { event: 'error', message_id: messageId, status: 400, code: behaviour.code, message: behaviour.message } });
    else events.push({ data: { event: 'message_end', message_id: messageId, conversation_id: conversationId, metadata: { usage } } });
    return { status: 200, sse: events };
  }
}
