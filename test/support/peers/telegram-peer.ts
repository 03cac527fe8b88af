import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

const ALLOWED_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);
const NAMED_ENTITIES = new Set(['lt', 'gt', 'amp', 'quot']);

const refuse = (status: number, description: string, extra: Record<string, unknown> = {}): PeerReply => ({
  status,
  body: { ok: false, error_code: status, description, ...extra },
});

/** Parses Telegram's HTML subset as the Bot API does: the visible text, or why it cannot be parsed. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const open: string[] = [];
  let text = '';
  let i = 0;
  while (i < html.length) {
    const char = html[i];
    if (char === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) return { error: `Unclosed start tag at byte offset ${i}` };
      const tag = html.slice(i + 1, end).trim();
      if (tag.startsWith('/')) {
        const name = tag.slice(1).trim().toLowerCase();
        if (open.pop() !== name)
          return { error: `Unmatched end tag at byte offset ${i}, expected "</${open.at(-1) ?? ''}>", found "</${name}>"` };
      } else {
        const name = tag.split(/\s/)[0].toLowerCase();
        if (!ALLOWED_TAGS.has(name)) return { error: `Unsupported start tag "${name}" at byte offset ${i}` };
        if (name === 'a' && !/^a\s+href\s*=\s*"[^"]*"$/i.test(tag))
          return { error: `Can't find end of href attribute value at byte offset ${i}` };
        open.push(name);
      }
      i = end + 1;
    } else if (char === '&') {
      const end = html.indexOf(';', i);
      const name = end > i ? html.slice(i + 1, end) : '';
      if (/^#\d+$/.test(name) || /^#x[0-9a-f]+$/i.test(name))
        text += String.fromCodePoint(name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
      else if (NAMED_ENTITIES.has(name)) text += { lt: '<', gt: '>', amp: '&', quot: '"' }[name as 'lt'];
      else return { error: `Unsupported HTML entity starting at byte offset ${i}` };
      i = end + 1;
    } else {
      text += char;
      i += 1;
    }
  }
  if (open.length > 0) return { error: `Can't find end tag corresponding to start tag "${open.at(-1)}"` };
  return { text };
}

/**
 * The Telegram Bot API as documented: /bot<token>/sendMessage and /bot<token>/getMe; 401 for an
 * unknown token, 400 for an unknown chat, empty text, HTML it cannot parse ("can't parse
 * entities") or more than 4,096 characters after parsing; 20 messages a minute per chat, past
 * which 429 with `parameters.retry_after`.
 */
export class TelegramPeer extends HttpPeer {
  readonly accepted: Array<{ chatId: string; payload: any }> = [];
  private readonly sent = new Map<string, number[]>();
  /** Force the next N messages to be throttled, with this retry_after. */
  throttleNext = 0;
  retryAfterSeconds = 3;

  constructor(
    readonly token: string,
    private readonly chats: string[],
  ) {
    super((request) => this.answer(request));
  }

  get apiUrl(): string {
    return this.baseUrl;
  }

  private answer(request: PeerRequest): PeerReply {
    const match = /^\/bot([^/]+)\/(sendMessage|getMe)$/.exec(request.url.pathname);
    if (!match) return refuse(404, 'Not Found');
    if (match[1] !== this.token) return refuse(401, 'Unauthorized');
    if (match[2] === 'getMe')
      return { status: 200, body: { ok: true, result: { id: 1, is_bot: true, first_name: 'AlertAgent', username: 'alertagent_bot' } } };
    let payload: any;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return refuse(400, 'Bad Request: invalid JSON');
    }
    const chatId = String(payload.chat_id ?? '');
    if (!this.chats.includes(chatId)) return refuse(400, 'Bad Request: chat not found');
    if (typeof payload.text !== 'string' || payload.text.trim() === '') return refuse(400, 'Bad Request: message text is empty');
    let visible = payload.text as string;
    if (payload.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(payload.text);
      if ('error' in parsed) return refuse(400, `Bad Request: can't parse entities: ${parsed.error}`);
      visible = parsed.text;
    } else if (payload.parse_mode !== undefined) {
      return refuse(400, `Bad Request: unsupported parse_mode in this peer: ${String(payload.parse_mode)}`);
    }
    if (Array.from(visible).length > 4_096) return refuse(400, 'Bad Request: message is too long');
    const now = Date.now();
    const recent = (this.sent.get(chatId) ?? []).filter((t) => now - t < 60_000);
    if (this.throttleNext > 0 || recent.length >= 20) {
      if (this.throttleNext > 0) this.throttleNext -= 1;
      const retryAfter =
        this.throttleNext >= 0 && recent.length < 20 ? this.retryAfterSeconds : Math.ceil((recent[0] + 60_000 - now) / 1000);
      return refuse(429, `Too Many Requests: retry after ${retryAfter}`, { parameters: { retry_after: retryAfter } });
    }
    this.sent.set(chatId, [...recent, now]);
    this.accepted.push({ chatId, payload });
    return {
      status: 200,
      body: { ok: true, result: { message_id: this.accepted.length, chat: { id: chatId }, date: Math.floor(now / 1000), text: visible } },
    };
  }
}
