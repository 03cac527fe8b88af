import { z } from 'zod';
import { CERTIFICATE_NEEDS_KEY, certificateHasKey, tlsKeySchema, tlsSchema } from '../../shared/tls-options';

/** The settings every channel that sends over HTTP has: TLS to its peer, the client key (sealed), and a time limit. */
const HTTP_SETTINGS = {
  tls: tlsSchema.optional(),
  tlsKey: tlsKeySchema.optional(),
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
};

/** A channel type's config schema: its own fields plus the HTTP settings, strict, with a client certificate only beside its key. */
export function httpChannelSchema<T extends z.ZodRawShape>(shape: T) {
  // The generic shape hides the TLS fields' types from the checker; they are the ones above.
  return z
    .strictObject({ ...shape, ...HTTP_SETTINGS })
    .refine((settings) => certificateHasKey(settings as Parameters<typeof certificateHasKey>[0]), CERTIFICATE_NEEDS_KEY);
}
