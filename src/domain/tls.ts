/**
 * TLS for one target (a channel, an analysis provider, a cluster's Alertmanagers): the CA to
 * trust, a client certificate, the lowest version; the client key is a secret of its own.
 */
export type TlsSettings = {
  caPem?: string;
  certPem?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  insecureSkipVerify: boolean;
};
