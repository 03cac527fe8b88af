import packageJson from '../../../package.json';
import type { StorageMode } from '../storage/orm';

export type ComponentStatus = 'up' | 'down' | 'disabled';

export interface ComponentHealth {
  name: string;
  status: ComponentStatus;
  latencyMs: number | null;
  error: string | null;
}

export interface HealthReport {
  /** ok; degraded: an optional dependency is away and alerts still flow; down: what arrives cannot be stored. */
  status: 'ok' | 'degraded' | 'down';
  mode: StorageMode;
  uptimeSeconds: number;
  components: ComponentHealth[];
  /** What works differently while degraded, one line per part. */
  degradations: string[];
}

export interface VersionInfo {
  version: string;
  node: string;
}

type Probe = (() => Promise<void>) | null;

/** This release's version, as package.json says. */
export const APP_VERSION = packageJson.version;

/** Probes run at most this often however many ask (the public health query, /readyz, load balancers). */
const REPORT_TTL_MS = 1_000;

/** Reports whether this process and what it depends on can serve. */
export class SystemService {
  private readonly startedAt = Date.now();
  private report: { at: number; value: Promise<HealthReport> } | null = null;
  private readonly moreDegradations: Array<() => string[]> = [];

  constructor(
    private readonly mode: StorageMode,
    private readonly probes: { database: Probe; redis: Probe },
    private readonly degradations: () => string[] = () => [],
  ) {}

  version(): VersionInfo {
    return { version: APP_VERSION, node: process.version };
  }

  /** Adds a part started after the services (the subscription process) whose trouble degrades this one. */
  addDegradations(source: () => string[]): void {
    this.moreDegradations.push(source);
  }

  health(): Promise<HealthReport> {
    const now = Date.now();
    if (!this.report || now - this.report.at >= REPORT_TTL_MS) this.report = { at: now, value: this.probe() };
    return this.report.value;
  }

  private async probe(): Promise<HealthReport> {
    const [database, redis] = await Promise.all([check('database', this.probes.database), check('redis', this.probes.redis)]);
    const degradations = [...this.degradations(), ...this.moreDegradations.flatMap((source) => source())];
    if (redis.status === 'down' && degradations.length === 0)
      degradations.push('redis: does not answer; the alert path goes on without it as soon as it needs it');
    return {
      status: database.status === 'down' ? 'down' : redis.status === 'down' || degradations.length > 0 ? 'degraded' : 'ok',
      mode: this.mode,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      components: [database, redis],
      degradations,
    };
  }
}

async function check(name: string, probe: Probe): Promise<ComponentHealth> {
  if (!probe) return { name, status: 'disabled', latencyMs: null, error: null };
  const started = performance.now();
  try {
    await probe();
    return { name, status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100, error: null };
  } catch (err) {
    return { name, status: 'down', latencyMs: null, error: err instanceof Error ? err.message : String(err) };
  }
}
