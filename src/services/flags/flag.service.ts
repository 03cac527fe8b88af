import type { EventEmitter } from 'node:events';
import { InMemStorageProvider, Unleash, UnleashEvents } from 'unleash-client';
import type { Config } from '../../config';
import type { Logger } from '../observability/logger';
import type { EventBus } from '../pubsub/event-bus';
import { watchFileChanges } from '../shared/file-watcher';
import { readBootstrapFile } from './bootstrap-file';
import { FLAG_DEFINITIONS, FLAG_NAMES, type FlagName } from './flag-definitions';
import type { FlagContext, FlagResolver, FlagState } from './flag-resolver';

export interface FlagServiceOptions {
  /** How often the bootstrap file is checked for changes. */
  watchIntervalMs?: number;
}

/**
 * Answers "is this feature on?": Unleash when it has told us about the flag, else the local
 * bootstrap file, else the built-in default. Unleash being unreachable never fails a caller.
 */
export class FlagService implements FlagResolver {
  private unleash: Unleash | null = null;
  private bootstrap: Partial<Record<FlagName, boolean>> = {};
  private stopWatching: (() => void) | null = null;

  constructor(
    private readonly config: Config['flags'],
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly options: FlagServiceOptions = {},
  ) {}

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

  async stop(): Promise<void> {
    this.stopWatching?.();
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

  private resolve(name: FlagName, context: FlagContext): FlagState {
    const definition = FLAG_DEFINITIONS[name];
    const base = { name, phase: definition.phase, description: definition.description };
    if (this.unleash?.getFeatureToggleDefinition(name)) {
      const enabled = this.unleash.isEnabled(name, { userId: context.userId, properties: context.properties });
      return { ...base, enabled, source: 'unleash' };
    }
    const local = this.bootstrap[name];
    if (local !== undefined) return { ...base, enabled: local, source: 'bootstrap' };
    return { ...base, enabled: definition.defaultEnabled, source: 'default' };
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
    void this.announce(Object.keys(this.bootstrap), 'bootstrap');
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
    unleash.on(UnleashEvents.Error, (err: Error) => this.logger.warn({ err: err.message }, 'unleash unavailable; using local flag values'));
    unleash.on(UnleashEvents.Warn, (message: string) => this.logger.warn({ unleash: message }, 'unleash warning'));
    unleash.on(UnleashEvents.Synchronized, () => this.logger.info('flags synchronised from unleash'));
    unleash.on(UnleashEvents.Changed, () => void this.announce(FLAG_NAMES.filter((n) => unleash.getFeatureToggleDefinition(n)), 'unleash'));
    this.unleash = unleash;
  }

  private async announce(names: string[], source: 'unleash' | 'bootstrap'): Promise<void> {
    try {
      await this.events.publish('flags.changed', { names, source, at: new Date().toISOString() });
    } catch (err) {
      this.logger.warn({ err }, 'could not publish flags.changed');
    }
  }
}
