import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { ChannelEntity } from '../../entities/channels/channel.entity';
import type { ChannelService } from '../channels/channel.service';
import { checkRoute, formatMatcher, type RouteService } from '../gateway/route.service';
import { compileInhibitionRule, type InhibitionRuleService } from '../inhibition/inhibition-rule.service';
import { compileMaintenanceWindow, type MaintenanceWindowService } from '../maintenance-windows/maintenance-window.service';
import type { Actor } from '../security/audit.service';
import type { ImportReportItem } from './alertmanager-routes';
import { planAlertmanagerImport, type ImportPlan } from './alertmanager-plan';

/** What an import did (or, in a dry run, would do) to one AlertAgent object. */
export interface ImportChange {
  kind: 'channel' | 'route' | 'inhibition rule' | 'maintenance window';
  name: string;
  action: 'create' | 'update' | 'unchanged';
}

export interface ImportOutcome {
  dryRun: boolean;
  report: ImportReportItem[];
  changes: ImportChange[];
}

/** Tag on imported channels: the planned config's hash, so an unchanged notifier is left alone (its secrets are sealed and not compared). */
const HASH_TAG = 'am-import:';
const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Imports an alertmanager.yml into AlertAgent (or says what it would do): channels, routes,
 * inhibition rules and maintenance windows, named after where they come from, so importing the
 * same file again changes nothing and an edited file updates what it names. Everything is checked
 * before anything is written; secrets are sealed as any channel's are.
 */
export class AlertmanagerImporter {
  constructor(
    private readonly em: EntityManager,
    private readonly services: {
      channels: Pick<ChannelService, 'create' | 'update' | 'checkConfig'>;
      routes: Pick<RouteService, 'list' | 'create' | 'update'>;
      inhibitions: Pick<InhibitionRuleService, 'list' | 'create' | 'update'>;
      maintenanceWindows: Pick<MaintenanceWindowService, 'list' | 'create' | 'update'>;
    },
  ) {}

  async run(yaml: string, dryRun: boolean, actor: Actor): Promise<ImportOutcome> {
    const report: ImportReportItem[] = [];
    const plan = this.keepValid(planAlertmanagerImport(yaml), report);
    const changes: ImportChange[] = [];
    const channelIds = await this.channels(plan, dryRun, changes, actor);
    await this.routes(plan, channelIds, dryRun, changes, report, actor);
    await this.rules(plan, dryRun, changes, actor);
    await this.windows(plan, dryRun, changes, actor);
    return { dryRun, report, changes };
  }

  /**
   * Everything is judged as saving it would judge it before anything is written: what AlertAgent
   * would refuse (a channel config its type does not take, an address the egress policy blocks,
   * a rule that would inhibit everything) is reported as not mapped and left out, so an import
   * never stops half-way.
   */
  private keepValid(plan: ImportPlan, report: ImportReportItem[]): ImportPlan {
    report.push(...plan.report);
    const refused = (source: string, what: string, err: unknown) => {
      // The refusal replaces what the plan said of the item.
      const planned = report.findIndex((item) => item.source === source);
      if (planned >= 0) report.splice(planned, 1);
      report.push({
        source,
        status: 'not mapped',
        detail: `${what} would be refused: ${err instanceof Error ? err.message : String(err)}`,
      });
      return false;
    };
    const channels = plan.channels.filter((c) => {
      try {
        this.services.channels.checkConfig(c.type, c.config);
        return true;
      } catch (err) {
        return refused(c.source, `channel "${c.name}"`, err);
      }
    });
    const routes = plan.routes.filter((r) => {
      try {
        checkRoute({
          name: r.name,
          matchers: r.matchers,
          groupWaitSeconds: r.groupWaitSeconds,
          groupIntervalSeconds: r.groupIntervalSeconds,
          repeatIntervalSeconds: r.repeatIntervalSeconds,
        });
        return true;
      } catch (err) {
        return refused(r.source, `route "${r.name}"`, err);
      }
    });
    const inhibitionRules = plan.inhibitionRules.filter((r) => {
      try {
        compileInhibitionRule(r, '');
        return true;
      } catch (err) {
        return refused(r.name, `inhibition rule "${r.name}"`, err);
      }
    });
    const maintenanceWindows = plan.maintenanceWindows.filter((w) => {
      try {
        compileMaintenanceWindow(
          {
            name: w.name,
            matchers: w.matchers,
            schedule: 'rrule',
            expression: w.expression,
            startsAt: w.startsAt,
            durationSeconds: w.durationSeconds,
            timeZone: w.timeZone,
          },
          '',
          new Date(),
        );
        return true;
      } catch (err) {
        return refused(w.name, `maintenance window "${w.name}"`, err);
      }
    });
    return { ...plan, channels, routes, inhibitionRules, maintenanceWindows };
  }

  private async channels(plan: ImportPlan, dryRun: boolean, changes: ImportChange[], actor: Actor): Promise<Map<string, string[]>> {
    const byReceiver = new Map<string, string[]>();
    for (const planned of plan.channels) {
      const tag = `${HASH_TAG}${hashOf([planned.type, planned.config])}`;
      const existing = await this.em.fork().findOne(ChannelEntity, { name: planned.name });
      const action: ImportChange['action'] = !existing
        ? 'create'
        : existing.tags.includes(tag) && existing.type === planned.type
          ? 'unchanged'
          : 'update';
      changes.push({ kind: 'channel', name: planned.name, action });
      let id = existing?.id ?? `dry-run:${planned.name}`;
      if (!dryRun && action === 'create')
        id = (
          await this.services.channels.create(
            { name: planned.name, type: planned.type, config: planned.config, tags: ['imported-from-alertmanager', tag] },
            actor,
          )
        ).entity.id;
      if (!dryRun && action === 'update')
        await this.services.channels.update(existing!.id, { config: planned.config, tags: ['imported-from-alertmanager', tag] }, actor);
      byReceiver.set(planned.receiver, [...(byReceiver.get(planned.receiver) ?? []), id]);
    }
    return byReceiver;
  }

  private async routes(
    plan: ImportPlan,
    channelIds: Map<string, string[]>,
    dryRun: boolean,
    changes: ImportChange[],
    report: ImportReportItem[],
    actor: Actor,
  ): Promise<void> {
    const existing = await this.services.routes.list();
    const otherDefault = existing.find((r) => r.isDefault && !plan.routes.some((p) => p.name === r.name));
    let position = existing.filter((r) => !plan.routes.some((p) => p.name === r.name)).length;
    for (const planned of plan.routes) {
      const isDefault = planned.isDefault && !otherDefault;
      if (planned.isDefault && otherDefault) {
        report.push({
          source: planned.source,
          status: 'mapped with changes',
          detail: `route "${otherDefault.name}" is already the default route: the root becomes "${planned.name}", a catch-all after the imported routes`,
        });
      }
      const input = {
        name: planned.name,
        matchers: planned.matchers,
        channelIds: (channelIds.get(planned.receiver) ?? []).filter((id) => !id.startsWith('dry-run:')),
        continueMatching: planned.continueMatching,
        isDefault,
        position: position++,
        groupWaitSeconds: planned.groupWaitSeconds,
        groupIntervalSeconds: planned.groupIntervalSeconds,
        repeatIntervalSeconds: planned.repeatIntervalSeconds,
      };
      const current = existing.find((r) => r.name === planned.name);
      const unchanged =
        current &&
        same(current.matchers.map(formatMatcher), input.matchers) &&
        same(current.channelIds, input.channelIds) &&
        current.continueMatching === input.continueMatching &&
        current.isDefault === input.isDefault &&
        current.position === input.position &&
        (current.groupWaitSeconds ?? null) === input.groupWaitSeconds &&
        (current.groupIntervalSeconds ?? null) === input.groupIntervalSeconds &&
        (current.repeatIntervalSeconds ?? null) === input.repeatIntervalSeconds;
      const action: ImportChange['action'] = !current ? 'create' : unchanged ? 'unchanged' : 'update';
      changes.push({ kind: 'route', name: planned.name, action });
      if (dryRun || action === 'unchanged') continue;
      if (current) await this.services.routes.update(current.id, input, actor);
      else await this.services.routes.create(input, actor);
    }
  }

  private async rules(plan: ImportPlan, dryRun: boolean, changes: ImportChange[], actor: Actor): Promise<void> {
    const existing = await this.services.inhibitions.list();
    for (const planned of plan.inhibitionRules) {
      const current = existing.find((r) => r.name === planned.name);
      const unchanged =
        current &&
        same(current.sourceMatchers.map(formatMatcher), planned.sourceMatchers) &&
        same(current.targetMatchers.map(formatMatcher), planned.targetMatchers) &&
        same(current.equal, planned.equal);
      const action: ImportChange['action'] = !current ? 'create' : unchanged ? 'unchanged' : 'update';
      changes.push({ kind: 'inhibition rule', name: planned.name, action });
      if (dryRun || action === 'unchanged') continue;
      if (current) await this.services.inhibitions.update(current.id, planned, actor);
      else await this.services.inhibitions.create(planned, actor);
    }
  }

  private async windows(plan: ImportPlan, dryRun: boolean, changes: ImportChange[], actor: Actor): Promise<void> {
    const existing = await this.services.maintenanceWindows.list();
    for (const planned of plan.maintenanceWindows) {
      const current = existing.find((w) => w.name === planned.name);
      const input = {
        name: planned.name,
        matchers: planned.matchers,
        schedule: 'rrule' as const,
        expression: planned.expression,
        startsAt: planned.startsAt,
        durationSeconds: planned.durationSeconds,
        timeZone: planned.timeZone,
      };
      const unchanged =
        current &&
        same(current.matchers.map(formatMatcher), planned.matchers) &&
        current.expression === planned.expression &&
        current.durationSeconds === planned.durationSeconds &&
        current.timeZone === planned.timeZone &&
        current.startsAt?.getTime() === planned.startsAt.getTime();
      const action: ImportChange['action'] = !current ? 'create' : unchanged ? 'unchanged' : 'update';
      changes.push({ kind: 'maintenance window', name: planned.name, action });
      if (dryRun || action === 'unchanged') continue;
      if (current) await this.services.maintenanceWindows.update(current.id, input, actor);
      else await this.services.maintenanceWindows.create(input, actor);
    }
  }
}
