import { compileMatcher, matchesAll } from '../gateway/label-matcher';
import type { Grant } from './permissions';

/**
 * Whether a cluster lies in a grant's cluster scope: its labels (and its name, as the label
 * `cluster`) meet every matcher of the scope. No scope: every cluster.
 */
export function clusterInScope(grant: Grant, cluster: { name: string; labels: Record<string, string> }): boolean {
  const matchers = grant.scopes.clusters;
  if (matchers === null) return true;
  return matchesAll(
    matchers.map((m) => compileMatcher(m)),
    { ...cluster.labels, cluster: cluster.name },
  );
}

/**
 * Whether a channel lies in a grant's channel-group scope: its group, or a group above it, is one
 * of the scope's. `groupChain` is the channel's group followed by its ancestors; a channel outside
 * every group lies outside any scope. No scope: every channel.
 */
export function channelInScope(grant: Grant, groupChain: readonly string[]): boolean {
  const groups = grant.scopes.channelGroups;
  if (groups === null) return true;
  return groupChain.some((id) => groups.includes(id));
}
