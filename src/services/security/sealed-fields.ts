import { isMasked, maskValue } from './masking';
import type { SecretBox, SealedSecret } from './secret-box';

/**
 * Settings with some fields secret (a channel's webhook URL, a provider's n8n URL): the secret
 * fields are sealed, each bound to its owner and field (`<owner>:<field>`, e.g.
 * `channel:<id>:webhookUrl`), and shown masked; the rest is stored and shown as it is.
 */
function context(owner: string, field: string): string {
  return `${owner}:${field}`;
}

/** Splits validated settings into what may be stored in the clear and what is sealed. */
export function sealSecrets(
  box: SecretBox,
  owner: string,
  config: Record<string, unknown>,
  secretFields: readonly string[],
): { publicConfig: Record<string, unknown>; secrets: Record<string, SealedSecret> } {
  const publicConfig: Record<string, unknown> = {};
  const secrets: Record<string, SealedSecret> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!secretFields.includes(key)) publicConfig[key] = value;
    else if (value !== undefined) secrets[key] = box.seal(JSON.stringify(value), context(owner, key));
  }
  return { publicConfig, secrets };
}

/**
 * The secret fields in clear. Rows written before a field became secret keep it in the public
 * settings; it is read from there until they are sealed again.
 */
export function openSecrets(
  box: SecretBox,
  owner: string,
  secrets: Record<string, SealedSecret>,
  publicConfig: Record<string, unknown> = {},
  secretFields: readonly string[] = [],
): Record<string, unknown> {
  const legacy = Object.fromEntries(
    secretFields.filter((field) => publicConfig[field] !== undefined).map((field) => [field, publicConfig[field]]),
  );
  return {
    ...legacy,
    ...Object.fromEntries(Object.entries(secrets).map(([key, sealed]) => [key, JSON.parse(box.open(sealed, context(owner, key)))])),
  };
}

/** The settings as clients see them: public fields as stored, secret fields masked. */
export function maskedConfig(publicConfig: Record<string, unknown>, openedSecrets: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...publicConfig };
  for (const [key, value] of Object.entries(openedSecrets)) masked[key] = maskValue(value);
  return masked;
}

/**
 * Settings sent for an update, merged onto the stored ones: an omitted field keeps its value,
 * null clears it, and a secret sent back as it was shown (masked) keeps the stored secret.
 */
export function mergeSettings(stored: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else if (!(isMasked(value) && key in stored)) merged[key] = value;
  }
  return merged;
}
