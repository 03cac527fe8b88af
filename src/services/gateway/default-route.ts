import { ConflictError } from '../../errors';
import type { ChannelService } from '../channels/channel.service';
import type { Logger } from '../../shared/logger';
import { systemPrincipal } from '../security/principal';
import type { RouteService } from './route.service';

const NAME = 'default';
const actor = { principal: systemPrincipal('default-route') };

/**
 * With DEFAULT_ROUTE_WEBHOOK_URL set, an installation that has no route at all gets one at start:
 * `default`, the fallback for every alert, delivering to a webhook channel `default` at that URL, so
 * that no alert goes unheard on day one. Routes someone made are never touched; replicas starting
 * together may race, and the loser's create is refused by the unique names and ignored.
 */
export async function ensureDefaultRoute(
  routes: RouteService,
  channels: ChannelService,
  webhookUrl: string | undefined,
  logger: Logger,
): Promise<void> {
  if (!webhookUrl || (await routes.list()).length > 0) return;
  try {
    const existing = (await channels.list({ search: NAME }, { limit: 10, offset: 0, order: 'asc' }, 'name')).items.find(
      (c) => c.entity.name === NAME,
    )?.entity;
    const channel = existing ?? (await channels.create({ name: NAME, type: 'webhook', config: { url: webhookUrl } }, actor)).entity;
    await routes.create({ name: NAME, matchers: [], channelIds: [channel.id], isDefault: true }, actor);
    logger.info(
      { route: NAME, channel: channel.name },
      'created the default route: alerts that match no other route go to DEFAULT_ROUTE_WEBHOOK_URL',
    );
  } catch (err) {
    if (err instanceof ConflictError) return;
    throw new Error(`DEFAULT_ROUTE_WEBHOOK_URL: ${(err as Error).message}`, { cause: err });
  }
}
