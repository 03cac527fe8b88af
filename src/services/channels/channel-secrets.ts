import { maskValue } from '../security/masking';
import type { SecretBox, SealedSecret } from '../security/secret-box';

function context(channelId: string, field: string): string {
  return `channel:${channelId}:${field}`;
}

/** Splits a validated config into what may be stored in the clear and what is sealed. */
export function sealSecrets(
  box: SecretBox,
  channelId: string,
  config: Record<string, unknown>,
  secretFields: readonly string[],
): { publicConfig: Record<string, unknown>; secrets: Record<string, SealedSecret> } {
  const publicConfig: Record<string, unknown> = {};
  const secrets: Record<string, SealedSecret> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!secretFields.includes(key)) publicConfig[key] = value;
    else if (value !== undefined) secrets[key] = box.seal(JSON.stringify(value), context(channelId, key));
  }
  return { publicConfig, secrets };
}

export function openSecrets(box: SecretBox, channelId: string, secrets: Record<string, SealedSecret>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(secrets).map(([key, sealed]) => [key, JSON.parse(box.open(sealed, context(channelId, key)))]));
}

/** The config as clients see it: public fields as stored, secret fields masked. */
export function maskedConfig(publicConfig: Record<string, unknown>, openedSecrets: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...publicConfig };
  for (const [key, value] of Object.entries(openedSecrets)) masked[key] = maskValue(value);
  return masked;
}
