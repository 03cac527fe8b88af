import type { ChannelPlugin, SendOutcome } from '../../src/services/channels/channel-plugin';
import type { ChannelMessage } from '../../src/services/channels/message';
import { renderDefaultTemplates, renderTemplates } from '../../src/services/channels/template-engine';
import { EgressPolicy } from '../../src/services/security/egress-policy';
import { PeerClient } from '../../src/shared/http-post';

/** The HTTP client plugins get, with loopback allowed: test peers listen there. */
export const loopbackPeers = new PeerClient(new EgressPolicy({ denyLoopback: false, denyPrivate: false, allow: [], deny: [] }));

let sequence = 0;

/**
 * One send through a plugin on its own, as the delivery path would make it: the config through
 * the plugin's schema, the message through its default templates (or a body template of the
 * test's), a fresh idempotency key.
 */
export async function sendThroughPlugin<C extends Record<string, unknown>>(
  plugin: ChannelPlugin<C>,
  config: unknown,
  message: ChannelMessage,
  body?: string,
): Promise<SendOutcome> {
  const parsed = plugin.schema.parse(config);
  const rendered =
    body === undefined
      ? await renderDefaultTemplates(plugin.defaultTemplates, message)
      : await renderTemplates({ ...plugin.defaultTemplates, body }, message);
  sequence += 1;
  return plugin.send(parsed, rendered, message, {
    idempotencyKey: `delivery-${sequence}`,
    peers: loopbackPeers,
    attempt: 1,
    now: new Date(),
  });
}
