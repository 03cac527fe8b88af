/**
 * A follow-up on analysis output: when an analysis of an alert this route delivered names this
 * team (or category) with at least this confidence, these channels are told too, with the analysis.
 */
export interface FollowUpRule {
  team: string | null;
  category: string | null;
  minConfidence: number;
  channelIds: string[];
}
