import type { Actor, AuditService } from './audit.service';

interface Resealable {
  channels: { resealAll(): Promise<number> };
  analysisProviders: { resealProviders(): Promise<number> };
  clusters: { resealAll(): Promise<{ clusters: number; versions: number }> };
}

export interface ResealCounts {
  channels: number;
  analysisProviders: number;
  clusters: number;
  configVersions: number;
}

/**
 * Seals every stored secret again with the current key, and seals what older releases kept in
 * clear. After a key rotation, the old key can leave PREVIOUS_ENCRYPTION_KEYS once this has run.
 * Running it twice changes nothing but the nonces.
 */
export async function resealAll(parts: Resealable, audit: AuditService, actor: Actor): Promise<ResealCounts> {
  const channels = await parts.channels.resealAll();
  const analysisProviders = await parts.analysisProviders.resealProviders();
  const { clusters, versions } = await parts.clusters.resealAll();
  const counts = { channels, analysisProviders, clusters, configVersions: versions };
  await audit.change(actor, async (record) => record('secrets.resealed', 'system', 'secrets', { ...counts }));
  return counts;
}
