import { createPrivateKey, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { TlsSettings } from '../../domain/tls';
import type { TlsOptions } from '../../shared/http-post';

function validPem(kind: 'certificate' | 'key') {
  return z.string().refine(
    (pem) => {
      try {
        if (kind === 'key') createPrivateKey(pem);
        else
          for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [pem])
            new X509Certificate(block);
        return true;
      } catch {
        return false;
      }
    },
    kind === 'key' ? 'expected a PEM private key' : 'expected PEM certificates',
  );
}

/**
 * TLS for one target (a channel, an analysis provider, a cluster's Alertmanagers): the CA to trust
 * (PEM, one or more), a client certificate, the lowest TLS version. The client certificate's key
 * is a secret of its own (`tlsKey`, sealed and masked). Skipping certificate verification needs
 * `insecureSkipVerify: true`, and saving it is audited.
 */
export const tlsSchema = z.strictObject({
  caPem: validPem('certificate').optional(),
  certPem: validPem('certificate').optional(),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).optional(),
  insecureSkipVerify: z.boolean().default(false),
});

/** The client certificate's private key (PEM). */
export const tlsKeySchema = validPem('key');

export type { TlsSettings } from '../../domain/tls';
// The schema and the domain type must describe the same thing: a change to one that the other misses does not compile.
const sameShape: [TlsSettings, z.output<typeof tlsSchema>] extends [z.output<typeof tlsSchema>, TlsSettings] ? true : never = true;
void sameShape;

/** Settings that carry TLS for their target: the options, and the key that goes with a client certificate. */
export interface WithTls {
  tls?: TlsSettings;
  tlsKey?: string;
}

/** Checks that a client certificate and its key come together (for a settings schema's refine). */
export function certificateHasKey(settings: WithTls): boolean {
  return Boolean(settings.tls?.certPem) === Boolean(settings.tlsKey);
}

export const CERTIFICATE_NEEDS_KEY = {
  message: 'a client certificate (tls.certPem) needs its key (tlsKey), and a key its certificate',
  path: ['tlsKey'],
};

/** What the HTTP client takes, from a target's settings. */
export function tlsOf(settings: WithTls): TlsOptions | undefined {
  if (!settings.tls && !settings.tlsKey) return undefined;
  return { ...settings.tls, keyPem: settings.tlsKey };
}

/** True when saving these settings turns certificate verification off: the caller audits it. */
export function skipsVerification(tls: TlsOptions | undefined | null): boolean {
  return tls?.insecureSkipVerify === true;
}
