import { formatMatcher } from '../gateway/route.service';
import { overStored } from '../shared/partial-update';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { MaintenanceWindowEntity } from '../../entities/gateway/maintenance.entity';
import { parseInput } from '../../errors';
import {
  assertSatisfiable,
  compileMatcher,
  matchesAll,
  parseMatchers,
  storedMatcher,
  type CompiledMatcher,
} from '../gateway/label-matcher';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import { NamedConfigStore } from '../shared/named-config-store';
import { ReloadOnChange } from '../shared/reload-on-change';
import { checkSchedule, openOccurrence, type Occurrence, type ScheduleSpec } from './maintenance-schedule';

const windowInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty', abort: true }).max(100),
  matchers: z.array(z.string()).max(50).default([]),
  clusters: z.array(z.string().min(1).max(200)).max(100).default([]),
  schedule: z.enum(['once', 'cron', 'rrule']),
  startsAt: z.date().nullish(),
  endsAt: z.date().nullish(),
  expression: z.string().trim().max(1_000).nullish(),
  durationSeconds: z.number().int().nullish(),
  timeZone: z.string().max(64).default('UTC'),
  enabled: z.boolean().default(true),
  mirrorAsSilences: z.boolean().default(false),
});

export type MaintenanceWindowInput = z.input<typeof windowInput>;

/** A stored window in the shape of its input: what an update's omitted fields keep. */
export function maintenanceWindowInputOf(window: MaintenanceWindowEntity): MaintenanceWindowInput {
  const { name, clusters, schedule, timeZone, enabled, mirrorAsSilences } = window;
  return {
    name,
    matchers: window.matchers.map(formatMatcher),
    clusters,
    schedule,
    startsAt: window.startsAt ?? null,
    endsAt: window.endsAt ?? null,
    expression: window.expression ?? null,
    durationSeconds: window.durationSeconds ?? null,
    timeZone,
    enabled,
    mirrorAsSilences,
  };
}
type ParsedWindow = z.output<typeof windowInput>;

/** A window as the hot path applies it. */
export interface CompiledWindow extends ScheduleSpec {
  id: string;
  name: string;
  matchers: CompiledMatcher[];
  clusters: string[];
}

/** An open window that covers an alert. */
export interface CoveringWindow {
  id: string;
  name: string;
  occurrence: Occurrence;
}

export function specOf(w: MaintenanceWindowEntity): ScheduleSpec {
  return {
    schedule: w.schedule,
    startsAt: w.startsAt ?? null,
    endsAt: w.endsAt ?? null,
    expression: w.expression ?? null,
    durationSeconds: w.durationSeconds ?? null,
    timeZone: w.timeZone,
  };
}

/**
 * Validates a window as given, naming fields under `path`, and compiles it: the one check for saved
 * windows and for windows proposed to a replay. `now` is when it must still be able to open.
 */
export function compileMaintenanceWindow(
  input: MaintenanceWindowInput,
  id: string,
  now: Date,
  path = 'input',
): { parsed: ParsedWindow; compiled: CompiledWindow } {
  const parsed = parseInput(windowInput, input, path);
  const matchers = parseMatchers(parsed.matchers, `${path}.matchers`);
  assertSatisfiable(matchers, `${path}.matchers`);
  const once = parsed.schedule === 'once';
  const spec: ScheduleSpec = {
    schedule: parsed.schedule,
    startsAt: parsed.startsAt ?? null,
    endsAt: once ? (parsed.endsAt ?? null) : null,
    expression: once ? null : (parsed.expression ?? null),
    durationSeconds: once ? null : (parsed.durationSeconds ?? null),
    timeZone: parsed.timeZone,
  };
  checkSchedule(spec, now, path);
  return { parsed, compiled: { id, name: parsed.name, matchers, clusters: parsed.clusters, ...spec } };
}

/**
 * Which window covers an alert at a given time. Which occurrence is open is computed per window
 * and kept until it can change (the occurrence ends, or a minute passes), so schedules are not
 * parsed per alert. Times may only move forward.
 */
export class WindowCover {
  private readonly open = new Map<string, { occurrence: Occurrence | null; until: number }>();

  constructor(private readonly windows: readonly CompiledWindow[]) {}

  /** The open window that covers an alert (the first one), or null. */
  covering(labels: Record<string, string>, now: Date): CoveringWindow | null {
    for (const w of this.windows) {
      if (w.clusters.length > 0 && !w.clusters.includes(labels.cluster ?? '')) continue;
      if (!matchesAll(w.matchers, labels)) continue;
      const occurrence = this.openOccurrenceOf(w, now);
      if (occurrence) return { id: w.id, name: w.name, occurrence };
    }
    return null;
  }

  private openOccurrenceOf(w: CompiledWindow, now: Date): Occurrence | null {
    const cached = this.open.get(w.id);
    if (cached && now.getTime() < cached.until) return cached.occurrence && now < cached.occurrence.end ? cached.occurrence : null;
    const occurrence = openOccurrence(w, now);
    const until = occurrence ? Math.min(occurrence.end.getTime(), now.getTime() + 60_000) : now.getTime() + 1_000;
    this.open.set(w.id, { occurrence, until });
    return occurrence;
  }
}

export interface MaintenanceWindowServiceDeps {
  em: EntityManager;
  audit: AuditService;
  events: EventBus;
  logger: Logger;
}

/** Maintenance windows (flag gateway.maintenance): CRUD, and the compiled list every replica keeps in memory. */
export class MaintenanceWindowService {
  private compiled: readonly CompiledWindow[] = [];
  private cover = new WindowCover([]);
  private readonly changes: ReloadOnChange;
  private readonly store: NamedConfigStore<MaintenanceWindowEntity>;

  constructor(private readonly deps: MaintenanceWindowServiceDeps) {
    this.changes = new ReloadOnChange(deps.events, 'maintenance.changed', () => this.reload(), deps.logger);
    this.store = new NamedConfigStore(deps.em, deps.audit, this.changes, {
      entity: MaintenanceWindowEntity,
      label: 'maintenance window',
      auditType: 'maintenance_window',
      auditAction: 'maintenance',
    });
  }

  start(): Promise<void> {
    return this.changes.start();
  }

  stop(): Promise<void> {
    return this.changes.stop();
  }

  /** The open window that covers an alert (the first one, by name), or null. */
  covering(labels: Record<string, string>, now: Date): CoveringWindow | null {
    return this.cover.covering(labels, now);
  }

  /** The enabled windows as in force now. */
  windows(): readonly CompiledWindow[] {
    return this.compiled;
  }

  list(): Promise<MaintenanceWindowEntity[]> {
    return this.deps.em.fork().find(MaintenanceWindowEntity, {}, { orderBy: { name: 'asc' } });
  }

  create(input: MaintenanceWindowInput, actor: Actor): Promise<MaintenanceWindowEntity> {
    const checked = compileMaintenanceWindow(input, '', new Date());
    return this.store.create(actor, (window) => this.fill(window, checked));
  }

  /** Changes what `input` names; every field it leaves out keeps its value. */
  update(id: string, input: Partial<MaintenanceWindowInput>, actor: Actor): Promise<MaintenanceWindowEntity> {
    return this.store.update(id, actor, (window) =>
      this.fill(window, compileMaintenanceWindow(overStored(maintenanceWindowInputOf(window), input), id, new Date())),
    );
  }

  remove(id: string, actor: Actor): Promise<void> {
    return this.store.remove(id, actor);
  }

  private fill(
    window: MaintenanceWindowEntity,
    { parsed: input, compiled }: ReturnType<typeof compileMaintenanceWindow>,
  ): Record<string, unknown> {
    const { schedule, startsAt, endsAt, expression, durationSeconds, timeZone } = compiled;
    const spec: ScheduleSpec = { schedule, startsAt, endsAt, expression, durationSeconds, timeZone };
    Object.assign(window, {
      name: input.name,
      matchers: compiled.matchers.map(storedMatcher),
      clusters: input.clusters,
      enabled: input.enabled,
      mirrorAsSilences: input.mirrorAsSilences,
      ...spec,
    });
    return { schedule: spec.schedule, clusters: input.clusters, matchers: input.matchers };
  }

  private async reload(): Promise<void> {
    this.compiled = (await this.list())
      .filter((w) => w.enabled)
      .map((w) => ({ id: w.id, name: w.name, matchers: w.matchers.map((m) => compileMatcher(m)), clusters: w.clusters, ...specOf(w) }));
    this.cover = new WindowCover(this.compiled);
  }
}
