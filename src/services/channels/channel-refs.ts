import type { EntityManager } from '@mikro-orm/core';
import { ChannelEntity } from '../../entities/channels/channel.entity';
import { BadUserInputError } from '../../errors';

/**
 * Checks lists of channel ids against the channels that exist, in one query: the first list that
 * names an unknown channel is refused under its field.
 */
export async function assertChannelsExist(em: EntityManager, lists: Array<{ field: string; ids: readonly string[] }>): Promise<void> {
  const named = [...new Set(lists.flatMap((l) => l.ids))];
  if (named.length === 0) return;
  const known = new Set((await em.find(ChannelEntity, { id: { $in: named } }, { fields: ['id'] })).map((c) => c.id));
  for (const { field, ids } of lists) {
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) throw BadUserInputError.forField(field, `unknown channel ${missing.join(', ')}`);
  }
}
