import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

const ELEMENT_TYPES = new Set([
  'TextBlock',
  'FactSet',
  'ColumnSet',
  'Container',
  'Image',
  'ImageSet',
  'RichTextBlock',
  'ActionSet',
  'Table',
]);
const refuse = (status: number, code: string, message: string): PeerReply => ({ status, body: { error: { code, message } } });

/**
 * A Teams Workflows webhook ("When a Teams webhook request is received") as Power Automate runs
 * it: POST …/workflows/<id>/triggers/manual/paths/invoke?api-version=…&sig=…; a wrong `sig` is
 * 401; bodies over 28 KB are 413; the body must be `{ type: "message", attachments: [{ contentType:
 * "application/vnd.microsoft.card.adaptive", content: AdaptiveCard }] }` with a version and known
 * element types (400 otherwise); accepted requests answer 202 with an empty body.
 */
export class TeamsPeer extends HttpPeer {
  readonly accepted: any[] = [];

  constructor(
    private readonly workflowId = '0123456789abcdef0123456789abcdef',
    private readonly signature = 'Sig-abcdefghijklmnopqrstuvwxyz012345',
  ) {
    super((request) => this.answer(request));
  }

  get webhookUrl(): string {
    return `${this.baseUrl}/workflows/${this.workflowId}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.signature}`;
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== `/workflows/${this.workflowId}/triggers/manual/paths/invoke`)
      return refuse(404, 'WorkflowNotFound', 'The workflow could not be found.');
    if (request.url.searchParams.get('sig') !== this.signature)
      return refuse(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated only by Shared Access scheme.');
    if (Buffer.byteLength(request.body) > 28 * 1024)
      return refuse(413, 'MessageSizeExceeded', 'The request content length exceeds the limit.');
    let payload: any;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return refuse(400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    }
    const attachment = payload?.attachments?.[0];
    const card = attachment?.content;
    if (payload?.type !== 'message' || attachment?.contentType !== 'application/vnd.microsoft.card.adaptive')
      return refuse(400, 'InvalidRequestContent', 'Expected a message with an Adaptive Card attachment.');
    if (card?.type !== 'AdaptiveCard' || typeof card.version !== 'string' || !Array.isArray(card.body))
      return refuse(400, 'InvalidTemplate', 'The Adaptive Card is invalid: type, version and body are required.');
    for (const element of card.body) {
      if (!ELEMENT_TYPES.has(element?.type))
        return refuse(400, 'InvalidTemplate', `The Adaptive Card has an unknown element type "${String(element?.type)}".`);
      if (element.type === 'TextBlock' && typeof element.text !== 'string')
        return refuse(400, 'InvalidTemplate', 'A TextBlock needs text.');
    }
    this.accepted.push(payload);
    return { status: 202, body: '' };
  }
}
