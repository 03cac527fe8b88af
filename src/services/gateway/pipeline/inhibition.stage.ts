import type { FlagResolver } from '../../flags/flag-resolver';
import { equalKey, type CompiledInhibitionRule } from '../../inhibition/inhibition-rule.service';
import type { InhibitionReleaser } from '../../inhibition/inhibition-releaser';
import type { InhibitionRepository, InhibitionTiming, SourceSighting, TargetCandidate } from '../../inhibition/inhibition.repository';
import type { Logger } from '../../../shared/logger';
import { matchesAll } from '../label-matcher';
import { toAlertView, type Hold } from '../record-state';
import { stillTaken, type HoldStage, type ReceiptInHand } from './receipt';

export interface InhibitionStageDeps {
  flags: FlagResolver;
  rules: { rules(): readonly CompiledInhibitionRule[] };
  repository: Pick<InhibitionRepository, 'apply'>;
  releaser: Pick<InhibitionReleaser, 'send'>;
  logger: Pick<Logger, 'warn'>;
  timing: () => InhibitionTiming;
}

/**
 * Inhibition (flag gateway.inhibition), with Alertmanager's semantics over AlertAgent's own view
 * of what fires, which spans clusters: while a source alert fires, targets with equal values of
 * the rule's `equal` labels are held as `inhibited` (the record names the rule and the source).
 * When a rule's last source for those values resolves, its targets still firing are sent: at
 * their own next notification, or when the release wait (Alertmanager's group_interval by
 * default) has passed; a target that resolves meanwhile was never sent and is not now.
 */
export class InhibitionStage implements HoldStage {
  readonly name = 'inhibition';

  constructor(private readonly deps: InhibitionStageDeps) {}

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    const { flags, rules, repository, releaser, logger, timing } = this.deps;
    if (!flags.isEnabled('gateway.inhibition', receipt.flagContext)) return;
    const active = rules.rules();
    if (active.length === 0) return;
    const { alerts, receiver, groupKey } = receipt.payload;
    const taken = stillTaken(held);
    const sources: SourceSighting[] = [];
    const targets: TargetCandidate[] = [];
    const resolvedTargets = new Set<string>();
    for (const index of taken) {
      const alert = alerts[index];
      for (const rule of active) {
        const source = matchesAll(rule.source, alert.labels);
        const target = matchesAll(rule.target, alert.labels);
        // Most alerts meet no rule: hashed only when one side does.
        if (!source && !target) continue;
        const key = equalKey(rule, alert.labels);
        if (source)
          sources.push({
            ruleId: rule.id,
            fingerprint: alert.fingerprint,
            equalKey: key,
            alertname: alert.labels.alertname ?? '',
            labels: alert.labels,
            firing: alert.status === 'firing',
          });
        if (!target) continue;
        if (alert.status === 'firing')
          targets.push({ ruleId: rule.id, equalKey: key, fingerprint: alert.fingerprint, alert: toAlertView(alert), receiver, groupKey });
        else resolvedTargets.add(alert.fingerprint);
      }
    }
    if (sources.length === 0 && targets.length === 0 && resolvedTargets.size === 0) return;
    const released = (outcome: { released: Parameters<typeof releaser.send>[0] }) => {
      if (outcome.released.length > 0)
        void releaser.send(outcome.released).catch((err) => logger.warn({ err }, 'could not send released alerts; the sweeper will'));
    };
    if (targets.length === 0 && resolvedTargets.size === 0) {
      // Sightings of sources alone hold nothing back in this receipt: recorded while its messages go
      // out (and before its records are written), so a source's own first notice does not wait for them.
      receipt.afterSend.push(repository.apply(sources, [], [], new Date(), timing()).then(released));
      return;
    }
    const outcome = await repository.apply(sources, targets, [...resolvedTargets], new Date(), timing());
    const ruleName = (id: string) => active.find((r) => r.id === id)?.name ?? id;
    for (const index of taken) {
      const { fingerprint, status } = alerts[index];
      const inhibitor = outcome.inhibited.get(fingerprint);
      if (status === 'firing' && inhibitor) {
        held[index] = {
          state: 'inhibited',
          detail: `inhibited by rule "${ruleName(inhibitor.ruleId)}": source ${inhibitor.alertname} (${inhibitor.fingerprint}) firing since ${inhibitor.firingSince.toISOString()}`,
        };
      } else if (status === 'resolved' && outcome.resolvedWhileHeld.has(fingerprint)) {
        held[index] = { state: 'inhibited', detail: 'resolved while inhibited: it was never sent, so neither is its resolution' };
      }
    }
    released(outcome);
  }
}
