import type { MikroORM } from '@mikro-orm/core';
import { inTransaction, type TransactionStatement, jsonColumn } from '../storage/bound-sql';
import type { AlertView } from '../channels/message';

/** A firing or resolved alert seen as a rule's source. */
export interface SourceSighting {
  ruleId: string;
  fingerprint: string;
  equalKey: string;
  alertname: string;
  labels: Record<string, string>;
  firing: boolean;
}

/** A firing alert a rule's target matchers take, to be held if a source of the rule fires. */
export interface TargetCandidate {
  ruleId: string;
  equalKey: string;
  fingerprint: string;
  alert: AlertView;
  receiver: string;
  groupKey: string;
}

/** The source that holds a target back. */
export interface Inhibitor {
  ruleId: string;
  fingerprint: string;
  alertname: string;
  firingSince: Date;
}

/** A held-back target whose last source stopped: to be sent. */
export interface ReleasedAlert {
  fingerprint: string;
  ruleId: string;
  alert: AlertView;
  receiver: string;
  groupKey: string;
  releasedAt: Date;
}

export interface InhibitionOutcome {
  /** Per target fingerprint: the source holding it back. */
  inhibited: Map<string, Inhibitor>;
  /** Resolutions of targets that were held back (never sent, so their resolution is not either). */
  resolvedWhileHeld: Set<string>;
  released: ReleasedAlert[];
}

type Run = TransactionStatement;

/** How long a source counts without being seen again, and how long its targets wait once it stops. */
export interface InhibitionTiming {
  sourceTtlMs: number;
  /**
   * Targets still held when their last source stops are sent this long after, unless their own
   * resolution or their own next notification comes first: Alertmanager notifies a released
   * target at its group's next flush, not at once, and by then most targets of a fan-out have
   * resolved with their source. 0 sends them at once.
   */
  releaseWaitMs: number;
}

/** A held target (`t`) whose rule key no source seen since the bound parameter holds. */
const NO_LIVE_SOURCE = `not exists (select 1 from "inhibition_source" s where s."rule_id" = t."rule_id" and s."equal_key" = t."equal_key" and s."last_seen_at" > ?)`;

function toReleased(r: Record<string, unknown>): ReleasedAlert {
  return {
    fingerprint: r.fingerprint as string,
    ruleId: r.rule_id as string,
    alert: jsonColumn(r.alert),
    receiver: r.receiver as string,
    groupKey: r.group_key as string,
    releasedAt: new Date(r.released_at as string),
  };
}

/**
 * AlertAgent's own view of what inhibits what, in PostgreSQL so every replica and cluster shares
 * it: the sources seen firing, the targets held back. One transaction per receipt; a target is
 * released (marked, then sent, then forgotten) in the transaction that ends its last source.
 */
export class InhibitionRepository {
  constructor(private readonly orm: MikroORM) {}

  private transaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    return inTransaction(this.orm, work);
  }

  /** Records sources, decides which targets are held, and releases what ending sources held. */
  async apply(
    sources: SourceSighting[],
    targets: TargetCandidate[],
    resolvedTargets: string[],
    now: Date,
    timing: InhibitionTiming,
  ): Promise<InhibitionOutcome> {
    const { sourceTtlMs } = timing;
    return this.transaction(async (run) => {
      const firing = sources.filter((s) => s.firing);
      if (firing.length > 0) {
        await run(
          `insert into "inhibition_source" ("rule_id", "fingerprint", "equal_key", "alertname", "labels", "firing_since", "last_seen_at")
           values ${firing.map(() => '(?, ?, ?, ?, ?::jsonb, ?, ?)').join(', ')}
           on conflict ("rule_id", "fingerprint") do update set "last_seen_at" = excluded."last_seen_at", "labels" = excluded."labels", "equal_key" = excluded."equal_key"`,
          firing.flatMap((s) => [s.ruleId, s.fingerprint, s.equalKey, s.alertname.slice(0, 200), JSON.stringify(s.labels), now, now]),
        );
        // A source firing again holds its targets again: a release they were waiting for is off
        // (with no release wait none waits; a due left from before is still checked against live sources).
        if (timing.releaseWaitMs > 0)
          await run(
            `update "inhibited_alert" set "release_due_at" = null
            where ("rule_id", "equal_key") in (${firing.map(() => '(?::uuid, ?)').join(', ')}) and "release_due_at" is not null and "released_at" is null`,
            firing.flatMap((s) => [s.ruleId, s.equalKey]),
          );
      }
      const ended = sources.filter((s) => !s.firing);
      const endedKeys =
        ended.length > 0
          ? await run(
              `delete from "inhibition_source" where ("rule_id", "fingerprint") in (${ended.map(() => '(?::uuid, ?)').join(', ')}) returning "rule_id", "equal_key"`,
              ended.flatMap((s) => [s.ruleId, s.fingerprint]),
            )
          : [];

      const inhibited = new Map<string, Inhibitor>();
      if (targets.length > 0) {
        const active = await run(
          `select "rule_id", "equal_key", "fingerprint", "alertname", "firing_since" from "inhibition_source"
            where ("rule_id", "equal_key") in (${targets.map(() => '(?::uuid, ?)').join(', ')}) and "last_seen_at" > ?`,
          [...targets.flatMap((t) => [t.ruleId, t.equalKey]), new Date(now.getTime() - sourceTtlMs)],
        );
        const held: TargetCandidate[] = [];
        for (const target of targets) {
          if (inhibited.has(target.fingerprint)) continue;
          // An alert never inhibits itself (it may match both sides of a rule).
          const source = active.find(
            (s) => s.rule_id === target.ruleId && s.equal_key === target.equalKey && s.fingerprint !== target.fingerprint,
          );
          if (!source) continue;
          inhibited.set(target.fingerprint, {
            ruleId: target.ruleId,
            fingerprint: source.fingerprint as string,
            alertname: source.alertname as string,
            firingSince: new Date(source.firing_since as string),
          });
          held.push(target);
        }
        // A target its own Alertmanager group reports firing with no source left goes out now, by
        // the normal path: a release it was waiting for would send it twice.
        const free = [...new Set(targets.filter((t) => !inhibited.has(t.fingerprint)).map((t) => t.fingerprint))];
        if (free.length > 0)
          await run(
            `delete from "inhibited_alert" where "fingerprint" in (${free.map(() => '?').join(', ')}) and "released_at" is null`,
            free,
          );
        if (held.length > 0) {
          await run(
            `insert into "inhibited_alert" ("fingerprint", "rule_id", "equal_key", "source_fingerprint", "alert", "receiver", "group_key", "held_at")
             values ${held.map(() => '(?, ?, ?, ?, ?::jsonb, ?, ?, ?)').join(', ')}
             on conflict ("fingerprint") do update set "rule_id" = excluded."rule_id", "equal_key" = excluded."equal_key",
               "source_fingerprint" = excluded."source_fingerprint", "alert" = excluded."alert", "receiver" = excluded."receiver",
               "group_key" = excluded."group_key", "released_at" = null`,
            held.flatMap((t) => [
              t.fingerprint,
              t.ruleId,
              t.equalKey,
              inhibited.get(t.fingerprint)!.fingerprint,
              JSON.stringify(t.alert),
              t.receiver,
              t.groupKey,
              now,
            ]),
          );
        }
      }

      const resolvedWhileHeld = new Set<string>();
      if (resolvedTargets.length > 0) {
        const rows = await run(
          `delete from "inhibited_alert" where "fingerprint" in (${resolvedTargets.map(() => '?').join(', ')}) and "released_at" is null returning "fingerprint"`,
          resolvedTargets,
        );
        for (const r of rows) resolvedWhileHeld.add(r.fingerprint as string);
      }

      const released = await this.releaseUnheld(
        run,
        endedKeys.map((k) => ({ ruleId: k.rule_id as string, equalKey: k.equal_key as string })),
        now,
        timing,
      );
      return { inhibited, resolvedWhileHeld, released };
    });
  }

  /**
   * The targets of (rule, key) pairs no live source holds any more: marked released, or, with a
   * release wait, given the time they will be released at if nothing else happens first.
   */
  private async releaseUnheld(
    run: Run,
    keys: Array<{ ruleId: string; equalKey: string }>,
    now: Date,
    { sourceTtlMs, releaseWaitMs }: InhibitionTiming,
  ): Promise<ReleasedAlert[]> {
    if (keys.length === 0) return [];
    const unheld = `("rule_id", "equal_key") in (${keys.map(() => '(?::uuid, ?)').join(', ')})
         and "released_at" is null
         and ${NO_LIVE_SOURCE}`;
    const params = [...keys.flatMap((k) => [k.ruleId, k.equalKey]), new Date(now.getTime() - sourceTtlMs)];
    if (releaseWaitMs > 0) {
      await run(`update "inhibited_alert" t set "release_due_at" = coalesce(t."release_due_at", ?) where ${unheld}`, [
        new Date(now.getTime() + releaseWaitMs),
        ...params,
      ]);
      return [];
    }
    const rows = await run(`update "inhibited_alert" t set "released_at" = ? where ${unheld} returning t.*`, [now, ...params]);
    return rows.map(toReleased);
  }

  /** Targets whose release wait has passed with no source holding them again: marked released. */
  async releaseDue(now: Date, { sourceTtlMs }: InhibitionTiming): Promise<ReleasedAlert[]> {
    const rows = await this.orm.em.getConnection().execute(
      `update "inhibited_alert" t set "released_at" = ? where t."release_due_at" <= ? and t."released_at" is null
         and ${NO_LIVE_SOURCE}
       returning t.*`,
      [now, now, new Date(now.getTime() - sourceTtlMs)],
    );
    return rows.map(toReleased);
  }

  /**
   * Sources not seen for the TTL, and those of rules deleted or disabled, stop inhibiting: they
   * are forgotten, and what they held is released.
   */
  async expireSources(now: Date, timing: InhibitionTiming): Promise<ReleasedAlert[]> {
    const { sourceTtlMs } = timing;
    return this.transaction(async (run) => {
      const keys = await run(
        `delete from "inhibition_source" s where s."last_seen_at" <= ?
           or not exists (select 1 from "inhibition_rule" r where r."id" = s."rule_id" and r."enabled") returning "rule_id", "equal_key"`,
        [new Date(now.getTime() - sourceTtlMs)],
      );
      const orphans = await run(
        `update "inhibited_alert" t set "released_at" = ? where t."released_at" is null
           and not exists (select 1 from "inhibition_rule" r where r."id" = t."rule_id" and r."enabled") returning t.*`,
        [now],
      );
      const released = await this.releaseUnheld(
        run,
        keys.map((k) => ({ ruleId: k.rule_id as string, equalKey: k.equal_key as string })),
        now,
        timing,
      );
      return [...orphans.map(toReleased), ...released];
    });
  }

  /** Released targets still here (their sending was cut off) from before `before`. */
  async unsentReleases(before: Date, limit: number): Promise<ReleasedAlert[]> {
    const rows = await this.orm.em
      .getConnection()
      .execute(
        `select * from "inhibited_alert" where "released_at" is not null and "released_at" < ? order by "released_at" limit ${Number(limit)}`,
        [before],
      );
    return rows.map(toReleased);
  }

  /** A released target was handed to delivery: forgotten, unless it was held again since. */
  async forgetReleased(fingerprint: string, releasedAt: Date): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(`delete from "inhibited_alert" where "fingerprint" = ? and "released_at" = ?`, [fingerprint, releasedAt]);
  }
}
