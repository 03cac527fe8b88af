import type { AnalysisProviderRepository } from './analysis-provider.repository';
import { mergeSettings } from '../security/sealed-fields';
import { overStored } from '../shared/partial-update';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { AnalysisProviderEntity, PROVIDER_TYPES } from '../../entities/analysis/analysis-provider.entity';
import { ConflictError, NotFoundError, parseInput } from '../../errors';
import type { EgressPolicy } from '../security/egress-policy';
import type { Actor, AuditService } from '../security/audit.service';
import type { SecretBox } from '../security/secret-box';
import type { PeerClient, TlsOptions } from '../../shared/http-post';
import { skipsVerification, tlsOf } from '../shared/tls-options';
import { ProviderSettings } from './provider-settings';
import { createProvider, type AnalysisProvider } from './providers/provider';
import { providerPlugin } from './providers/registry';

const providerInput = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  type: z.enum(PROVIDER_TYPES),
  config: z.record(z.string(), z.unknown()),
  /** Omitted on update = unchanged; an empty string removes it. */
  secret: z.string().max(4096).optional(),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).default(60),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(30 * 60_000)
    .default(60_000),
  enabled: z.boolean().default(true),
});
export type ProviderInput = z.input<typeof providerInput>;

/** A stored provider in the shape of its input, without its secret: what a change's omitted fields keep. */
function providerInputOf(provider: AnalysisProviderEntity): ProviderInput {
  const { name, type, config, rateLimitPerMinute, timeoutMs, enabled } = provider;
  return { name, type, config, rateLimitPerMinute, timeoutMs, enabled };
}

export interface AnalysisProviderServiceDeps {
  repository: AnalysisProviderRepository;
  secrets: SecretBox;
  audit: AuditService;
  peers: PeerClient;
  egress: Pick<EgressPolicy, 'assertUrl'>;
}

/** Analysis providers: created, changed and deleted by admins (audited), secrets sealed, and made ready to call. */
export class AnalysisProviderService {
  private readonly settings: ProviderSettings;
  /** Provider names for events and metrics, refreshed whenever a provider is read. */
  private readonly names = new Map<string, string>();

  constructor(private readonly deps: AnalysisProviderServiceDeps) {
    this.settings = new ProviderSettings(deps.secrets, deps.egress);
  }

  async list(): Promise<AnalysisProviderEntity[]> {
    const providers = await this.deps.repository.all();
    for (const p of providers) this.names.set(p.id, p.name);
    return providers;
  }

  async get(id: string): Promise<AnalysisProviderEntity> {
    return NotFoundError.assert(await this.find(id), 'analysis provider', id);
  }

  async find(id: string): Promise<AnalysisProviderEntity | null> {
    const provider = await this.deps.repository.findById(id);
    if (provider) this.names.set(provider.id, provider.name);
    return provider;
  }

  /** A provider's name without a query when it was read before. */
  async nameOf(id: string): Promise<string> {
    return this.names.get(id) ?? (await this.find(id))?.name ?? 'unknown';
  }

  /** Creates (id null) or changes a provider; on a change, every field left out keeps its value. */
  async save(id: string | null, input: Partial<ProviderInput>, actor: Actor): Promise<AnalysisProviderEntity> {
    const existing = id ? await this.get(id) : null;
    const parsed = parseInput(
      providerInput,
      existing ? { ...overStored(providerInputOf(existing), input), config: mergeSettings(existing.config, input.config ?? {}) } : input,
      'input',
    );
    const provider = existing ?? new AnalysisProviderEntity();
    this.settings.apply(provider, parsed.type, parsed.config, id !== null);
    Object.assign(provider, {
      name: parsed.name,
      type: parsed.type,
      rateLimitPerMinute: parsed.rateLimitPerMinute,
      timeoutMs: parsed.timeoutMs,
      enabled: parsed.enabled,
      updatedAt: new Date(),
    });
    if (parsed.secret !== undefined)
      provider.secret = parsed.secret === '' ? null : this.deps.secrets.seal(parsed.secret, `analysis-provider:${provider.id}`);
    try {
      await this.deps.audit.change(actor, async (record) => {
        this.deps.repository.save(provider);
        record(id ? 'analysis-provider.updated' : 'analysis-provider.created', 'analysis-provider', provider.id, {
          name: provider.name,
          type: provider.type,
        });
        if (skipsVerification(provider.config.tls as TlsOptions | undefined))
          record('tls.verification-disabled', 'analysis-provider', provider.id, { name: provider.name });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException)
        throw new ConflictError(`an analysis provider named ${parsed.name} already exists`);
      throw err;
    }
    this.names.set(provider.id, provider.name);
    return provider;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const provider = await this.get(id);
    const routes = await this.deps.repository.routesUsing(id);
    if (routes.length > 0) throw new ConflictError(`routes ${routes.join(', ')} send alerts to this provider; change them first`);
    await this.deps.audit.change(actor, async (record) => {
      this.deps.repository.remove(provider);
      record('analysis-provider.deleted', 'analysis-provider', id, { name: provider.name });
    });
  }

  /** A provider's settings as every reader sees them: secret fields masked. */
  masked(provider: AnalysisProviderEntity): Record<string, unknown> {
    return this.settings.masked(provider);
  }

  /** Seals again what is in clear and everything with the current key; returns how many providers. */
  async resealProviders(): Promise<number> {
    const providers = await this.deps.repository.all();
    for (const provider of providers) this.settings.reseal(provider);
    await this.deps.repository.flush();
    return providers.length;
  }

  /** The provider ready to call, through its type's plugin. */
  callable(provider: AnalysisProviderEntity): AnalysisProvider {
    const secret = provider.secret ? this.deps.secrets.open(provider.secret, `analysis-provider:${provider.id}`) : null;
    const plugin = providerPlugin(provider.type);
    const config = plugin.schema.parse(this.settings.open(provider));
    return createProvider(plugin, config, secret, { peers: this.deps.peers, tls: tlsOf(config) });
  }
}
