import type { EventEmitter } from 'node:events';
import { InMemStorageProvider, Unleash, UnleashEvents } from 'unleash-client';
import type { Config } from '../../config';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import { watchFileChanges } from '../shared/file-watcher';
import { ReloadOnChange } from '../shared/reload-on-change';
import { readBootstrapFile } from './bootstrap-file';
import { FLAG_DEFINITIONS, FLAG_NAMES, type FlagName } from './flag-definitions';
import type { FlagContext, FlagOverride, FlagResolver, FlagSource, FlagState } from './flag-resolver';

export interface FlagServiceOptions {
  /** How often the bootstrap file is checked for changes. */
  watchIntervalMs?: number;
  /** How often values are compared with the last ones seen (expiring overrides, Unleash updates). */
  observeIntervalMs?: number;
}

/** Where overrides are kept (the database); absent in tests of the other sources. */
export interface FlagOverrideSource {
  load(): Promise<Map<string, FlagOverride>>;
}

/** A flag whose value or deciding source differs from the last time this process looked. */
export interface FlagChange {
  name: FlagName;
  enabled: boolean;
  source: FlagSource;
  override: FlagOverride | null;
  /** What this process saw before; null at its first look. */
  previous: { enabled: boolean; source: FlagSource; override: FlagOverride | null } | null;
  at: Date;
}

export type FlagObserver = (states: FlagState[], changes: FlagChange[]) => Promise<void> | void;

/** Overrides are re-read this often even when no change was announced (a lost pub/sub message). */
const OVERRIDE_REFRESH_MS = 10_000;

/**
 * Answers "is this feature on?": an override when one is in force, else Unleash when it has told
 * us about the flag, else the local bootstrap file, else the built-in default. Unleash being
 * unreachable never fails a caller (its last values are kept). Every difference from what was
 * seen before is handed to the observers, who record it once across replicas.
 */
export class FlagService implements FlagResolver {
  private unleash: Unleash | null = null;
  /** False from connecting to Unleash until its first answer or failure. */
  private unleashSettled = true;
  private bootstrap: Partial<Record<FlagName, boolean>> = {};
  private overrides = new Map<string, FlagOverride>();
  private stopWatching: (() => void) | null = null;
  private readonly observers: FlagObserver[] = [];
  private last: Map<FlagName, FlagState> | null = null;
  private observing: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private readonly overrideChanges: ReloadOnChange | null;

  constructor(
    private readonly config: Config['flags'],
    events: EventBus,
    private readonly logger: Logger,
    private readonly options: FlagServiceOptions = {},
    private readonly overrideSource: FlagOverrideSource | null = null,
  ) {
    this.overrideChanges = overrideSource
      ? new ReloadOnChange(events, 'flags.overrides-changed', () => this.reloadOverrides(), logger)
      : null;
  }

  /** Reads the bootstrap file (a bad one stops start-up) and connects to Unleash in the background. */
  start(): void {
    const file = this.config.bootstrapFile;
    if (file) {
      // Watch before reading, so an edit landing in between is picked up rather than lost.
      const stopWatching = watchFileChanges(file, () => this.reloadBootstrap(file), this.options.watchIntervalMs);
      try {
        this.loadBootstrap(file);
      } catch (err) {
        stopWatching();
        throw err;
      }
      this.stopWatching = stopWatching;
    }
    if (this.config.unleashUrl) this.connectUnleash(this.config.unleashUrl);
    const every = (ms: number, work: () => unknown) => {
      const timer = setInterval(work, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.observeIntervalMs ?? 1_000, () => void this.observe());
    if (this.overrideSource)
      every(
        OVERRIDE_REFRESH_MS,
        () => void this.reloadOverrides().catch((err) => this.logger.warn({ err }, 'could not re-read flag overrides')),
      );
  }

  /** Loads the overrides and follows changes announced by any replica; then takes the first look. */
  async startOverrides(): Promise<void> {
    await this.overrideChanges?.start();
    await this.observe();
  }

  /** After an override was set or cleared here: applied at once here and announced to the other replicas. */
  async overridesChanged(): Promise<void> {
    await this.overrideChanges?.announce();
  }

  onObserve(observer: FlagObserver): void {
    this.observers.push(observer);
  }

  isEnabled(name: FlagName, context: FlagContext = {}): boolean {
    return this.resolve(name, context).enabled;
  }

  list(context: FlagContext = {}): FlagState[] {
    return FLAG_NAMES.map((name) => this.resolve(name, context));
  }

  /** True once Unleash has answered at least once (or was never configured). */
  get unleashSynchronized(): boolean {
    return this.unleash === null || this.unleash.getFeatureToggleDefinitions().length > 0;
  }

  /** Compares every flag with the last look and tells the observers; looks never overlap. */
  observe(): Promise<void> {
    this.observing = this.observing.then(() => this.look()).catch((err) => this.logger.warn({ err }, 'could not record flag changes'));
    return this.observing;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.overrideChanges?.stop();
    this.stopWatching?.();
    await this.observing;
    const unleash = this.unleash;
    this.unleash = null;
    if (!unleash) return;
    unleash.destroy();
    // destroy() strips every listener from the SDK's internal repository, yet a fetch already in
    // flight still emits 'error' there when it fails, and an unheard 'error' ends the process.
    // A known SDK shutdown race; swallowing errors after we stopped listening is the safe answer.
    const repository = (unleash as unknown as { repository?: EventEmitter }).repository;
    repository?.on('error', () => {});
  }

  private async look(): Promise<void> {
    // Until Unleash first answers (or fails to), its flags would read as the fallbacks: a
    // starting replica must not record that as a change.
    if (!this.unleashSettled) return;
    const at = new Date();
    const states = this.list();
    const before = this.last;
    const changes: FlagChange[] = [];
    for (const state of states) {
      const previous = before?.get(state.name) ?? null;
      if (previous && previous.enabled === state.enabled && previous.source === state.source && previous.override === state.override)
        continue;
      changes.push({
        name: state.name,
        enabled: state.enabled,
        source: state.source,
        override: state.override,
        previous: previous && { enabled: previous.enabled, source: previous.source, override: previous.override },
        at,
      });
    }
    this.last = new Map(states.map((s) => [s.name, s]));
    if (changes.length === 0) return;
    for (const observer of this.observers) await observer(states, changes);
  }

  private resolve(name: FlagName, context: FlagContext): FlagState {
    const definition = FLAG_DEFINITIONS[name];
    const base = { name, phase: definition.phase, description: definition.description };
    const override = this.overrides.get(name);
    if (override && (!override.expiresAt || override.expiresAt.getTime() > Date.now()))
      return { ...base, enabled: override.enabled, source: 'override', override };
    if (this.unleash?.getFeatureToggleDefinition(name)) {
      const enabled = this.unleash.isEnabled(name, { userId: context.userId, properties: context.properties });
      return { ...base, enabled, source: 'unleash', override: null };
    }
    const local = this.bootstrap[name];
    if (local !== undefined) return { ...base, enabled: local, source: 'bootstrap', override: null };
    return { ...base, enabled: definition.defaultEnabled, source: 'default', override: null };
  }

  private async reloadOverrides(): Promise<void> {
    if (!this.overrideSource) return;
    const loaded = await this.overrideSource.load();
    // Keep the objects of unchanged overrides, so a reload alone is not seen as a change.
    const next = new Map<string, FlagOverride>();
    for (const [name, override] of loaded) {
      const known = this.overrides.get(name);
      next.set(name, known && sameOverride(known, override) ? known : override);
    }
    this.overrides = next;
    await this.observe();
  }

  private loadBootstrap(file: string): void {
    const { values, unknown } = readBootstrapFile(file);
    if (unknown.length > 0) this.logger.warn({ file, unknown }, 'bootstrap file names flags AlertAgent does not know; ignored');
    this.bootstrap = values;
  }

  private reloadBootstrap(file: string): void {
    const before = JSON.stringify(this.bootstrap);
    try {
      this.loadBootstrap(file);
    } catch (err) {
      this.logger.error({ err: (err as Error).message, file }, 'flag bootstrap file rejected; keeping the previous values');
      return;
    }
    if (JSON.stringify(this.bootstrap) === before) return;
    this.logger.info({ file, values: this.bootstrap }, 'flag bootstrap file reloaded');
    void this.observe();
  }

  private connectUnleash(url: string): void {
    const unleash = new Unleash({
      url,
      appName: this.config.unleashAppName,
      refreshInterval: this.config.refreshIntervalMs,
      customHeaders: this.config.unleashToken ? { Authorization: this.config.unleashToken } : undefined,
      storageProvider: new InMemStorageProvider(),
      disableMetrics: false,
      skipInstanceCountWarning: true,
      timeout: 5_000,
    });
    this.unleashSettled = false;
    const settle = () => {
      if (this.unleashSettled) return;
      this.unleashSettled = true;
      void this.observe();
    };
    unleash.on(UnleashEvents.Error, (err: Error) => {
      this.logger.warn({ err: err.message }, 'unleash unavailable; keeping the last values');
      settle();
    });
    unleash.on(UnleashEvents.Synchronized, settle);
    unleash.on(UnleashEvents.Warn, (message: string) => this.logger.warn({ unleash: message }, 'unleash warning'));
    unleash.on(UnleashEvents.Synchronized, () => this.logger.info('flags synchronised from unleash'));
    unleash.on(UnleashEvents.Changed, () => void this.observe());
    this.unleash = unleash;
  }
}

function sameOverride(a: FlagOverride, b: FlagOverride): boolean {
  return (
    a.enabled === b.enabled &&
    a.reason === b.reason &&
    a.actor === b.actor &&
    a.createdAt.getTime() === b.createdAt.getTime() &&
    (a.expiresAt?.getTime() ?? null) === (b.expiresAt?.getTime() ?? null)
  );
}
