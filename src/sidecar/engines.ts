import { sidecarPath } from '../shared/paths';
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { parse } from 'yaml';
import { describeNetworkError, excerpt } from '../shared/http-post';
import { sidecarPeers } from './peer';

const ENGINE_TIMEOUT_MS = 10_000;

/** What the sidecar needs to know about the engine beside it. */
export interface EngineAdapter {
  kind: 'alertmanager' | 'prometheus';
  /** Where AlertAgent serves this engine's file for a cluster. */
  configPath(cluster: string): string;
  /** Asks the engine to reload and checks it now runs `content`; the problem, or null when it does. */
  reloadAndVerify(content: string): Promise<string | null>;
  /** Whether the engine already runs `content` (so a restarted sidecar knows what is applied). */
  runs(content: string): Promise<boolean>;
}

/**
 * Alertmanager reports the md5 of the file it loaded, cut to 6 bytes and read as a
 * little-endian integer, as the `alertmanager_config_hash` metric; this computes the same.
 */
export function alertmanagerConfigHash(content: string): number {
  const digest = createHash('md5').update(content, 'utf8').digest();
  const value = Buffer.alloc(8);
  digest.copy(value, 0, 0, 6);
  return Number(value.readBigUInt64LE());
}

/**
 * `POST /-/reload`: null when the engine took it, else why not. `disabledHint` explains a 403/404
 * (Prometheus answers so when its lifecycle API is off).
 */
async function reload(url: string, disabledHint?: string): Promise<string | null> {
  try {
    const answer = await sidecarPeers.call('POST', `${url}/-/reload`, { timeoutMs: ENGINE_TIMEOUT_MS });
    if (answer.status === 200) return null;
    if (disabledHint && (answer.status === 404 || answer.status === 403)) return `reload answered HTTP ${answer.status}: ${disabledHint}`;
    return `reload answered HTTP ${answer.status}: ${excerpt(answer.text, 1000)}`;
  } catch (err) {
    return `reload failed: ${describeNetworkError(err, ENGINE_TIMEOUT_MS)}`;
  }
}

function metricValue(metrics: string, name: string): number | null {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1).trim()) : null;
}

export class AlertmanagerEngine implements EngineAdapter {
  readonly kind = 'alertmanager' as const;

  constructor(private readonly url: string) {}

  configPath(cluster: string): string {
    return sidecarPath(cluster, 'alertmanager.yml');
  }

  async reloadAndVerify(content: string): Promise<string | null> {
    // Alertmanager reloads inside the request: 200 = loaded, 500 = refused (the old config stays).
    const refused = await reload(this.url);
    if (refused) return refused;
    return (await this.runs(content)) ? null : 'Alertmanager reloaded but does not report the written config as loaded';
  }

  async runs(content: string): Promise<boolean> {
    try {
      const metrics = await sidecarPeers.call('GET', `${this.url}/metrics`, {
        timeoutMs: ENGINE_TIMEOUT_MS,
        maxAnswerBytes: 4 * 1024 * 1024,
      });
      if (metrics.status !== 200) return false;
      return (
        metricValue(metrics.text, 'alertmanager_config_last_reload_successful') === 1 &&
        metricValue(metrics.text, 'alertmanager_config_hash') === alertmanagerConfigHash(content)
      );
    } catch {
      return false;
    }
  }
}

interface PrometheusRulesAnswer {
  data?: { groups?: Array<{ name: string; file: string; rules: unknown[] }> };
}

/**
 * Prometheus beside the sidecar (started with --web.enable-lifecycle). The sidecar owns one rule
 * file that Prometheus' `rule_files` includes; after a reload, the groups Prometheus reports
 * from that file (/api/v1/rules) must be exactly the file's groups, rule for rule.
 */
export class PrometheusEngine implements EngineAdapter {
  readonly kind = 'prometheus' as const;

  constructor(
    private readonly url: string,
    private readonly file: string,
  ) {}

  configPath(cluster: string): string {
    return sidecarPath(cluster, 'prometheus-rules.yml');
  }

  async reloadAndVerify(content: string): Promise<string | null> {
    return (await reload(this.url, 'start Prometheus with --web.enable-lifecycle')) ?? this.difference(content);
  }

  async runs(content: string): Promise<boolean> {
    return (await this.difference(content)) === null;
  }

  /** How the groups Prometheus runs from our file differ from the file's groups; null when they agree. */
  private async difference(content: string): Promise<string | null> {
    const wanted = new Map<string, number>();
    const parsed = parse(content) as { groups?: Array<{ name: string; rules?: unknown[] }> } | null;
    for (const group of parsed?.groups ?? []) wanted.set(group.name, group.rules?.length ?? 0);
    let answer: PrometheusRulesAnswer;
    try {
      const response = await sidecarPeers.call('GET', `${this.url}/api/v1/rules`, {
        timeoutMs: ENGINE_TIMEOUT_MS,
        maxAnswerBytes: 32 * 1024 * 1024,
      });
      if (response.status !== 200) return `/api/v1/rules answered HTTP ${response.status}`;
      answer = JSON.parse(response.text) as PrometheusRulesAnswer;
    } catch (err) {
      return `could not read /api/v1/rules: ${err instanceof SyntaxError ? 'not JSON' : describeNetworkError(err, ENGINE_TIMEOUT_MS)}`;
    }
    const ours = (file: string) => resolve(file) === resolve(this.file) || basename(file) === basename(this.file);
    const running = new Map((answer.data?.groups ?? []).filter((g) => ours(g.file)).map((g) => [g.name, g.rules.length]));
    const missing = [...wanted].filter(([name, count]) => running.get(name) !== count).map(([name]) => name);
    const extra = [...running.keys()].filter((name) => !wanted.has(name));
    if (missing.length === 0 && extra.length === 0) return null;
    return `Prometheus does not run the written rules (${[missing.length ? `missing or different: ${missing.join(', ')}` : '', extra.length ? `not in the file: ${extra.join(', ')}` : ''].filter(Boolean).join('; ')})`;
  }
}
