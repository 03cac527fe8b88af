import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { httpBaseUrl } from '../config';
import { BadUserInputError, zodIssues } from '../errors';
import { parseDuration } from '../shared/prometheus-syntax';
import { createLogger } from '../shared/logger';
import { ConfigSidecar } from './config-sidecar';
import { AlertmanagerEngine, PrometheusEngine } from './engines';
import { startSidecarServer } from './sidecar-server';

/** The flags of `alertagent sidecar`, as commander hands them over. */
export interface SidecarFlags {
  kind: string;
  server: string;
  cluster: string;
  tokenFile?: string;
  file: string;
  engineUrl: string;
  instance?: string;
  interval?: string;
  backoffBase: string;
  backoffMax: string;
  listen: string;
  logLevel: string;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms === 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 30s, 5m or 1h30m` });
    return z.NEVER;
  }
  return ms;
});

const flagsSchema = z.object({
  kind: z.enum(['alertmanager', 'prometheus']),
  server: httpBaseUrl,
  cluster: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'cluster names are letters, digits and _ . -'),
  tokenFile: z.string().optional(),
  file: z.string().min(1),
  engineUrl: httpBaseUrl,
  instance: z.string().trim().min(1).max(200).optional(),
  interval: duration.optional(),
  backoffBase: duration,
  backoffMax: duration,
  listen: z.string().regex(/^(.*):(\d{1,5})$/, 'expected host:port, e.g. 0.0.0.0:9531'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

/** The token comes from a file or the environment, never from the command line (where `ps` shows it). */
function readToken(tokenFile: string | undefined): string {
  const token = (tokenFile ? readFileSync(tokenFile, 'utf8') : (process.env.ALERTAGENT_SIDECAR_TOKEN ?? '')).trim();
  if (!token) throw BadUserInputError.forField('token', 'set --token-file or ALERTAGENT_SIDECAR_TOKEN to the cluster’s sidecar token');
  return token;
}

const flagName = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Checks the flags as the command does (also used to check the shipped examples); errors name the flag. */
export function parseSidecarFlags(raw: SidecarFlags) {
  const parsed = flagsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error).map((i) => ({ field: flagName(i.field), message: i.message }));
  throw new BadUserInputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
}

/** Starts the sidecar and its /metrics and /healthz; resolves to a stop function. */
export async function runSidecar(raw: SidecarFlags): Promise<() => Promise<void>> {
  const flags = parseSidecarFlags(raw);
  const logger = createLogger(flags.logLevel, { component: 'sidecar', cluster: flags.cluster });
  const [, host, port] = /^(.*):(\d+)$/.exec(flags.listen)!;
  const sidecar = new ConfigSidecar(
    {
      server: flags.server,
      cluster: flags.cluster,
      token: readToken(flags.tokenFile),
      file: flags.file,
      instance: flags.instance ?? flags.engineUrl,
      intervalMs: flags.interval,
      backoff: { baseMs: flags.backoffBase, maxMs: flags.backoffMax, jitter: 0.2 },
    },
    flags.kind === 'alertmanager' ? new AlertmanagerEngine(flags.engineUrl) : new PrometheusEngine(flags.engineUrl, flags.file),
    logger,
  );
  await sidecar.start();
  const { server, port: bound } = await startSidecarServer(sidecar, host, Number(port));
  logger.info({ port: bound, file: flags.file, engine: flags.engineUrl }, 'sidecar started');
  const loop = sidecar.run();
  return async () => {
    sidecar.stop();
    await loop;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
