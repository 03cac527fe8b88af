import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import { AckLinkUseEntity, AlertAckEntity, EscalationEntity } from '../../entities/escalation/escalation.entity';
import { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import { IncidentAlertEntity, IncidentEntity } from '../../entities/gateway/incident.entity';
import { ConflictError, NotFoundError } from '../../errors';
import type { Actor, AuditService } from '../security/audit.service';
import { actorOf, systemPrincipal } from '../security/principal';
import type { AckLinks, AckTarget } from './ack-links';

const NOTE_MAX = 2_000;

/** What an ack link did, in words for the page it answers with. */
export interface LinkOutcome {
  did: string;
  target: AckTarget;
  acknowledgedBy: string;
}

/** Time to acknowledge and to resolve one firing episode of an alert. */
export interface EpisodeTimes {
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  via: string | null;
  note: string | null;
  timeToAckSeconds: number | null;
  timeToResolveSeconds: number | null;
}

const seconds = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / 10) / 100;

export interface AckServiceDeps {
  orm: MikroORM;
  audit: AuditService;
  links: AckLinks;
  /** Approvals of remediations travel by the same kind of link. */
  approvals: { approveByLink(executionId: string, sentTo: string): Promise<string> };
  /** Counts refused links by reason (the metric). */
  onRefused?: (reason: string) => void;
}

/**
 * Acknowledgements of alerts (one firing episode: fingerprint and startsAt) and incidents, by API
 * or by a signed link from a message. An acknowledgement stops the episode's escalation; the
 * first one stands (a repeat answers it), and each is audited with who and how.
 */
export class AckService {
  constructor(private readonly deps: AckServiceDeps) {}

  async acknowledgeAlert(recordId: string, actor: Actor, note?: string | null, via = 'api'): Promise<AlertAckEntity> {
    const record = NotFoundError.assert(await this.deps.orm.em.findOne(AlertRecordEntity, { id: recordId }), 'alert record', recordId);
    return this.ackEpisode(record.fingerprint, record.startsAt, record.alertname, actor, note, via);
  }

  async acknowledgeIncident(incidentId: string, actor: Actor, note?: string | null, via = 'api'): Promise<IncidentEntity> {
    const em = this.deps.orm.em;
    const incident = NotFoundError.assert(await em.findOne(IncidentEntity, { id: incidentId }), 'incident', incidentId);
    if (incident.acknowledgedAt) return incident;
    const alerts = await em.find(IncidentAlertEntity, { incidentId, status: 'firing' });
    const by = actor.actorName ?? actorOf(actor.principal);
    const now = new Date();
    await this.deps.audit.change(actor, async (record) => {
      Object.assign(incident, { acknowledgedAt: now, acknowledgedBy: by });
      record('incident.acknowledged', 'incident', incidentId, {
        title: incident.title,
        via,
        alerts: alerts.length,
        ...(note ? { note: note.slice(0, NOTE_MAX) } : {}),
        timeToAckSeconds: seconds(incident.openedAt, now),
      });
    });
    for (const alert of alerts) await this.ackEpisode(alert.fingerprint, alert.startsAt, alert.alertname, actor, note, via, incidentId);
    return incident;
  }

  /** What a link would do, without using it; null for a link that would do nothing. */
  preview(token: string): string | null {
    const checked = this.deps.links.check(token);
    if (!checked.ok) return null;
    const { target } = checked.claim;
    if (target.kind === 'remediation') return 'Approve this remediation? It runs the n8n workflow at once.';
    return `Acknowledge this ${target.kind}? Escalation stops once it is acknowledged.`;
  }

  /** Uses an ack link once: answers what it did, or why it did nothing. */
  async useLink(token: string, now = new Date()): Promise<LinkOutcome> {
    const checked = this.deps.links.check(token, now);
    if (!checked.ok) {
      this.deps.onRefused?.(checked.reason);
      const why = {
        malformed: 'this is not an acknowledgement link',
        forged: 'this link was not issued by AlertAgent',
        expired: 'this link has expired; acknowledge in AlertAgent instead',
      }[checked.reason];
      // Unsigned garbage is only counted: auditing it would let anyone fill the trail.
      if (checked.reason === 'expired') await this.auditRefusal(token, 'expired');
      throw new NotFoundError(why, { reason: checked.reason });
    }
    const { claim } = checked;
    const by = `link:${claim.sentTo}`;
    try {
      await this.deps.orm.em
        .fork()
        .persistAndFlush(Object.assign(new AckLinkUseEntity(), { nonce: claim.nonce, usedAt: now, expiresAt: claim.expiresAt }));
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        this.deps.onRefused?.('used');
        await this.auditRefusal(token, 'used', by, claim.target);
        throw new ConflictError('this link was already used; each link acknowledges once');
      }
      throw err;
    }
    const actor: Actor = { principal: systemPrincipal('ack-link'), actorName: by };
    if (claim.target.kind === 'remediation')
      return {
        did: await this.deps.approvals.approveByLink(claim.target.executionId, claim.sentTo),
        target: claim.target,
        acknowledgedBy: by,
      };
    if (claim.target.kind === 'incident') {
      const incident = await this.acknowledgeIncident(claim.target.incidentId, actor, null, 'link');
      return { did: `acknowledged incident "${incident.title}"`, target: claim.target, acknowledgedBy: incident.acknowledgedBy ?? by };
    }
    const starts = new Date(claim.target.startsAt);
    const seen = NotFoundError.assert(
      await this.deps.orm.em.findOne(
        AlertRecordEntity,
        { fingerprint: claim.target.fingerprint, startsAt: starts },
        { orderBy: { receivedAt: 'asc' } },
      ),
      'alert',
      claim.target.fingerprint,
    );
    const ack = await this.ackEpisode(seen.fingerprint, seen.startsAt, seen.alertname, actor, null, 'link');
    return {
      did: `acknowledged alert ${seen.alertname} (firing since ${seen.startsAt.toISOString()})`,
      target: claim.target,
      acknowledgedBy: ack.acknowledgedBy,
    };
  }

  private async auditRefusal(token: string, reason: string, by = 'link:unknown', target?: AckTarget): Promise<void> {
    const claimed =
      target ??
      (() => {
        try {
          return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).t as AckTarget;
        } catch {
          return undefined;
        }
      })();
    await this.deps.audit.change({ principal: systemPrincipal('ack-link'), actorName: by }, async (record) =>
      record('ack-link.refused', claimed?.kind ?? 'link', null, { reason, ...(claimed ? { target: claimed } : {}) }),
    );
  }

  /** When an episode was first told, acknowledged and resolved. */
  async times(fingerprint: string, startsAt: Date): Promise<EpisodeTimes> {
    const em = this.deps.orm.em;
    const [ack, resolved, first] = await Promise.all([
      em.findOne(AlertAckEntity, { fingerprint, startsAt }),
      em.findOne(
        AlertRecordEntity,
        { fingerprint, startsAt, status: 'resolved' },
        { orderBy: { receivedAt: 'asc' }, fields: ['receivedAt', 'endsAt'] },
      ),
      this.firstNotice(fingerprint, startsAt),
    ]);
    const resolvedAt = resolved ? (resolved.endsAt ?? resolved.receivedAt) : null;
    return {
      acknowledgedAt: ack?.acknowledgedAt ?? null,
      acknowledgedBy: ack?.acknowledgedBy ?? null,
      via: ack?.via ?? null,
      note: ack?.note ?? null,
      timeToAckSeconds: ack?.timeToAckSeconds ?? null,
      timeToResolveSeconds: resolvedAt && first ? seconds(first, resolvedAt) : null,
    };
  }

  private async firstNotice(fingerprint: string, startsAt: Date): Promise<Date | null> {
    const first = await this.deps.orm.em.findOne(
      AlertRecordEntity,
      { fingerprint, startsAt, firstDeliveredAt: { $ne: null } },
      { orderBy: { receivedAt: 'asc' }, fields: ['firstDeliveredAt'] },
    );
    return first?.firstDeliveredAt ?? null;
  }

  private async ackEpisode(
    fingerprint: string,
    startsAt: Date,
    alertname: string,
    actor: Actor,
    note: string | null | undefined,
    via: string,
    incidentId?: string,
  ): Promise<AlertAckEntity> {
    const em = this.deps.orm.em;
    const existing = await em.findOne(AlertAckEntity, { fingerprint, startsAt });
    if (existing) return existing;
    const now = new Date();
    const first = await this.firstNotice(fingerprint, startsAt);
    const ack = Object.assign(new AlertAckEntity(), {
      fingerprint,
      startsAt,
      alertname,
      acknowledgedAt: now,
      acknowledgedBy: actor.actorName ?? actorOf(actor.principal),
      via,
      note: note?.trim() ? note.trim().slice(0, NOTE_MAX) : null,
      timeToAckSeconds: first ? seconds(first, now) : null,
    });
    try {
      await this.deps.audit.change(actor, async (record) => {
        em.persist(ack);
        await em.nativeUpdate(
          EscalationEntity,
          { fingerprint, startsAt, state: 'waiting' },
          { state: 'acknowledged', nextAt: null, updatedAt: now },
        );
        record('alert.acknowledged', 'alert', fingerprint, {
          alertname,
          startsAt: startsAt.toISOString(),
          via,
          timeToAckSeconds: ack.timeToAckSeconds,
          ...(incidentId ? { incidentId } : {}),
          ...(ack.note ? { note: ack.note } : {}),
        });
      });
    } catch (err) {
      // Acknowledged at the same moment elsewhere: that acknowledgement stands.
      if (err instanceof UniqueConstraintViolationException)
        return NotFoundError.assert(await em.fork().findOne(AlertAckEntity, { fingerprint, startsAt }), 'acknowledgement', fingerprint);
      throw err;
    }
    return ack;
  }
}
