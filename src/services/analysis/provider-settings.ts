import type { AnalysisProviderEntity, ProviderType } from '../../entities/analysis/analysis-provider.entity';
import { BadUserInputError, zodIssues } from '../../errors';
import { isMasked } from '../security/masking';
import { maskedConfig, openSecrets, sealSecrets } from '../security/sealed-fields';
import type { EgressPolicy } from '../security/egress-policy';
import type { SecretBox } from '../security/secret-box';
import { providerPlugin } from './providers/registry';

const secretFields = (type: ProviderType) => providerPlugin(type).secretFields;

const owner = (provider: AnalysisProviderEntity) => `analysis-provider:${provider.id}`;

/** A provider's settings: validated per type, secret fields sealed at rest, masked in answers, kept when sent back masked or left out. */
export class ProviderSettings {
  constructor(
    private readonly box: SecretBox,
    private readonly egress: Pick<EgressPolicy, 'assertUrl'>,
  ) {}

  /** Validates settings for a provider (new, or being replaced) and stores them on it. */
  apply(provider: AnalysisProviderEntity, type: ProviderType, config: Record<string, unknown>, replacing: boolean): void {
    const fields = secretFields(type);
    const stored = replacing && provider.type === type ? this.open(provider) : {};
    const next = { ...config };
    for (const field of fields)
      if ((next[field] === undefined || isMasked(next[field])) && stored[field] !== undefined) next[field] = stored[field];
    const checked = providerPlugin(type).schema.safeParse(next);
    if (!checked.success) {
      const issues = zodIssues(checked.error, 'input.config');
      throw new BadUserInputError(`invalid ${type} provider config: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
    }
    for (const [field, value] of Object.entries(checked.data))
      if (typeof value === 'string' && /^https?:\/\//i.test(value)) this.egress.assertUrl(value, `input.config.${field}`);
    const { publicConfig, secrets } = sealSecrets(this.box, owner(provider), checked.data, fields);
    provider.config = publicConfig;
    provider.secrets = secrets;
  }

  /** Every setting in clear, for calling the provider. */
  open(provider: AnalysisProviderEntity): Record<string, unknown> {
    return {
      ...provider.config,
      ...openSecrets(this.box, owner(provider), provider.secrets ?? {}, provider.config, secretFields(provider.type)),
    };
  }

  /** The settings as any reader sees them. */
  masked(provider: AnalysisProviderEntity): Record<string, unknown> {
    return maskedConfig(
      provider.config,
      openSecrets(this.box, owner(provider), provider.secrets ?? {}, provider.config, secretFields(provider.type)),
    );
  }

  /** Seals what is still in clear, and everything with the current key. */
  reseal(provider: AnalysisProviderEntity): void {
    const { publicConfig, secrets } = sealSecrets(this.box, owner(provider), this.open(provider), secretFields(provider.type));
    provider.config = publicConfig;
    provider.secrets = secrets;
    if (provider.secret) provider.secret = this.box.seal(this.box.open(provider.secret, owner(provider)), owner(provider));
  }
}
