import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import type { Config } from '../../config';
import { BadUserInputError } from '../../errors';

/** Cloud metadata services: reachable from most hosts, and they hand out credentials. */
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200'];
const METADATA_HOSTS = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'];

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseRange(entry: string): Range | null {
  try {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = ipaddr.parse(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, [base, bits]: Range): boolean {
  return address.kind() === base.kind() && address.match(base as never, bits);
}

/** Where outbound calls may go, from the configuration (see README: Egress policy). */
export interface EgressSettings {
  /** Loopback addresses (127.0.0.0/8, ::1) are refused. */
  denyLoopback: boolean;
  /** Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) are refused. */
  denyPrivate: boolean;
  /** Addresses, CIDRs or host names (`*.example.com`) always allowed, whatever else says. */
  allow: string[];
  /** Addresses, CIDRs or host names refused as well. */
  deny: string[];
}

export function egressSettings(config: Pick<Config, 'egress' | 'database'>): EgressSettings {
  const list = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
  const { loopback, privateRanges, allow, deny } = config.egress;
  return {
    // Production (PostgreSQL) refuses loopback by default; the embedded quick start talks to local peers.
    denyLoopback: loopback === 'deny' || (loopback === 'auto' && Boolean(config.database.url)),
    denyPrivate: privateRanges === 'deny',
    allow: list(allow),
    deny: list(deny),
  };
}

/**
 * The egress policy for every URL AlertAgent calls on a user's behalf (channels, analysis
 * providers, Alertmanagers): link-local and cloud-metadata addresses are always refused, loopback
 * by default in production, more by configuration; an allow list overrides. Host names are checked
 * at the moment of connecting, on the addresses DNS gave, so a name that changes its answer (DNS
 * rebinding) cannot lead a call elsewhere.
 */
export class EgressPolicy {
  private readonly allowRanges: Range[];
  private readonly denyRanges: Range[];
  private readonly allowHosts: string[];
  private readonly denyHosts: string[];

  constructor(private readonly settings: EgressSettings) {
    const ranges = (list: string[]) => list.map(parseRange).filter((r): r is Range => r !== null);
    const hosts = (list: string[]) => list.filter((entry) => parseRange(entry) === null);
    this.allowRanges = ranges(settings.allow);
    this.denyRanges = ranges(settings.deny);
    this.allowHosts = hosts(settings.allow);
    this.denyHosts = hosts(settings.deny);
  }

  /** Why a call to this address is refused, or null when it may go. */
  addressDenial(text: string): string | null {
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      address = ipaddr.process(text);
    } catch {
      return `${text} is not an IP address`;
    }
    if (this.allowRanges.some((r) => inRange(address, r))) return null;
    const normal = address.toString();
    if (METADATA_ADDRESSES.includes(normal)) return `${normal} is a cloud metadata address`;
    const range = address.range();
    if (range === 'linkLocal') return `${normal} is link-local`;
    if (range === 'unspecified' || range === 'broadcast' || range === 'multicast') return `${normal} is not a unicast address`;
    if (range === 'loopback' && this.settings.denyLoopback)
      return `${normal} is loopback (refused in production; allow it with EGRESS_ALLOW)`;
    if (this.settings.denyPrivate && ['private', 'uniqueLocal', 'carrierGradeNat'].includes(range)) return `${normal} is a private address`;
    if (this.denyRanges.some((r) => inRange(address, r))) return `${normal} is in EGRESS_DENY`;
    return null;
  }

  /** Why a call to this host name is refused before it is even resolved, or null. */
  hostDenial(host: string): string | null {
    const name = host.toLowerCase().replace(/\.$/, '');
    if (this.allowHosts.some((pattern) => hostMatches(name, pattern))) return null;
    if (METADATA_HOSTS.includes(name)) return `${name} is a cloud metadata service`;
    if (this.denyHosts.some((pattern) => hostMatches(name, pattern))) return `${name} is in EGRESS_DENY`;
    return null;
  }

  /** Whether a host name is allowed outright (its addresses are not checked). */
  private hostAllowed(host: string): boolean {
    const name = host.toLowerCase().replace(/\.$/, '');
    return this.allowHosts.some((pattern) => hostMatches(name, pattern));
  }

  /** Why a URL may not be called, judged on what it says (an IP literal, a known name); null when it may (its name is checked again on connecting). */
  urlDenial(url: string): string | null {
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return null;
    }
    return ipaddr.isValid(host) ? this.addressDenial(host) : this.hostDenial(host);
  }

  /** For saving settings: refuses a URL the policy would never let a call reach, naming the field. */
  assertUrl(url: string, field: string): void {
    const denial = this.urlDenial(url);
    if (denial) throw BadUserInputError.forField(field, `the egress policy refuses this address: ${denial}`);
  }

  /** A dns.lookup that answers only with addresses the policy allows: what sockets connect with. */
  readonly lookup = (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const hostDenial = this.hostDenial(hostname);
    if (hostDenial) return callback(egressError(hostname, hostDenial), '', 0);
    const allowed = this.hostAllowed(hostname);
    dnsLookup(hostname, { ...(options as object), all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const usable = allowed ? addresses : addresses.filter((a) => this.addressDenial(a.address) === null);
      if (usable.length === 0)
        return callback(egressError(hostname, this.addressDenial(addresses[0]?.address ?? '') ?? 'no address'), '', 0);
      if ((options as { all?: boolean }).all) return callback(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };

  /** A checked address for a host, for clients that take an address rather than a lookup (SMTP). */
  resolve(host: string): Promise<string> {
    if (ipaddr.isValid(host)) {
      const denial = this.addressDenial(host);
      return denial ? Promise.reject(egressError(host, denial)) : Promise.resolve(host);
    }
    return new Promise((resolve, reject) => this.lookup(host, {}, (err, address) => (err ? reject(err) : resolve(address as string))));
  }
}

function hostMatches(name: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) : name === pattern;
}

function egressError(host: string, reason: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`egress policy refused ${host}: ${reason}`);
  err.code = 'EEGRESS';
  return err;
}
