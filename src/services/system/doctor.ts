import type { Services } from '..';
import { sealedKeyIds } from '../backup/backup-file';
import { quoted, userTables } from '../backup/backup.service';
import { inTransaction } from '../storage/bound-sql';
import { resealAll } from '../security/reseal';
import { CLI_PRINCIPAL } from '../security/principal';

/** One check of an installation: what was looked at, whether it holds, and if not, how to fix it. */
export interface Finding {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const UNLEASH_TIMEOUT_MS = 3_000;

/** Thrown inside the dry-run reseal so its transaction rolls back: the check changes nothing. */
class DryRun extends Error {}

/**
 * `alertagent doctor`: checks an installation as an operator would before trusting it, and says
 * for each problem how to fix it. Reads only; the secret check reseals inside a transaction it
 * rolls back.
 */
export async function examine(services: Services): Promise<Finding[]> {
  const findings = [...(await dependencies(services))];
  const schema = await attempt('migrations', () => migrations(services));
  findings.push(schema);
  // The remaining checks read the schema: on a database that is not migrated they would only fail.
  if (!schema.ok) return findings;
  findings.push(...(await secrets(services).catch((err: Error) => [couldNotCheck('secrets', err)])));
  for (const [check, run] of [
    ['public URL', publicUrl],
    ['routes', routesToMissingChannels],
    ['unrouted alerts', unroutedAlerts],
  ] as const) {
    findings.push(await attempt(check, () => run(services)));
  }
  return findings;
}

function couldNotCheck(check: string, err: Error): Finding {
  return { check, ok: false, detail: `could not check: ${err.message.split('\n')[0]}` };
}

async function attempt(check: string, run: () => Promise<Finding>): Promise<Finding> {
  try {
    return await run();
  } catch (err) {
    return couldNotCheck(check, err as Error);
  }
}

async function dependencies(services: Services): Promise<Finding[]> {
  const health = await services.system.health();
  const findings: Finding[] = health.components.map((c) =>
    c.status === 'down'
      ? {
          check: c.name,
          ok: false,
          detail: `does not answer: ${c.error}`,
          fix:
            c.name === 'redis'
              ? 'check REDIS_URL and that Redis runs; alerts still flow without it, but replicas no longer share windows, events or queues'
              : 'check DATABASE_URL and that PostgreSQL runs',
        }
      : { check: c.name, ok: true, detail: c.status === 'disabled' ? 'not configured' : `answers (${c.latencyMs} ms)` },
  );
  findings.push(await unleash(services));
  return findings;
}

async function unleash(services: Services): Promise<Finding> {
  const { unleashUrl, unleashToken } = services.config.flags;
  if (!unleashUrl)
    return { check: 'unleash', ok: true, detail: 'not configured (flags come from overrides, the bootstrap file and defaults)' };
  const url = `${unleashUrl.replace(/\/+$/, '')}/client/features`;
  try {
    const response = await fetch(url, {
      headers: unleashToken ? { authorization: unleashToken } : {},
      signal: AbortSignal.timeout(UNLEASH_TIMEOUT_MS),
    });
    if (response.status === 401 || response.status === 403)
      return {
        check: 'unleash',
        ok: false,
        detail: `${url} refused the token (${response.status})`,
        fix: 'set UNLEASH_API_TOKEN to a client token of that Unleash',
      };
    if (!response.ok)
      return {
        check: 'unleash',
        ok: false,
        detail: `${url} answered ${response.status}`,
        fix: 'check UNLEASH_URL: it names the API root, e.g. http://unleash:4242/api',
      };
    return { check: 'unleash', ok: true, detail: `${unleashUrl} answers` };
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    return {
      check: 'unleash',
      ok: false,
      detail: `${url} does not answer: ${cause}`,
      fix: 'check UNLEASH_URL and that Unleash runs; until it answers, flags keep their last, bootstrap or default values',
    };
  }
}

async function migrations(services: Services): Promise<Finding> {
  const { pending } = await services.migrations.status();
  if (pending.length === 0) return { check: 'migrations', ok: true, detail: 'the schema is up to date' };
  return {
    check: 'migrations',
    ok: false,
    detail: `${pending.length} pending: ${pending.length > 3 ? `${pending[0]} … ${pending.at(-1)}` : pending.join(', ')} (the checks of stored data wait until they have run)`,
    fix: 'run `alertagent migrate up` (serve does it on start unless DATABASE_AUTO_MIGRATE=false)',
  };
}

async function secrets(services: Services): Promise<Finding[]> {
  const box = services.secretBox;
  const current = box.currentKeyId;
  const byKey = await sealedKeyCounts(services);
  const findings: Finding[] = [];
  const missing = [...byKey].filter(([kid]) => !box.hasKey(kid));
  const older = [...byKey].filter(([kid]) => kid !== current && box.hasKey(kid));
  if (missing.length > 0) {
    findings.push({
      check: 'secret keys',
      ok: false,
      detail: missing.map(([kid, n]) => `${n} secrets sealed with key "${kid}", which is not configured`).join('; '),
      fix: 'add each missing key to PREVIOUS_ENCRYPTION_KEYS as id:base64, then run `alertagent secrets reseal`',
    });
  } else if (older.length > 0) {
    findings.push({
      check: 'secret keys',
      ok: false,
      detail: older.map(([kid, n]) => `${n} secrets still sealed with the previous key "${kid}"`).join('; '),
      fix: 'run `alertagent secrets reseal` to seal them with the current key; then the previous key can leave PREVIOUS_ENCRYPTION_KEYS',
    });
  } else {
    findings.push({
      check: 'secret keys',
      ok: true,
      detail: byKey.size ? `every secret is sealed with the current key "${current}"` : 'no secrets stored',
    });
  }
  if (missing.length === 0) findings.push(await secretsOpen(services));
  return findings;
}

/** One read-only statement; the checks need no transaction of their own. */
function query(services: Services, sql: string): Promise<Array<Record<string, unknown>>> {
  return services.storage.orm.em.getConnection().execute(sql);
}

/** How many sealed secrets each key id holds, across every table. */
async function sealedKeyCounts(services: Services): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await inTransaction(services.storage.orm, async (run) => {
    for (const name of await userTables(run)) {
      const rows = await run(`select row_to_json(t)::text as "json" from ${quoted(name)} t where row_to_json(t)::text like '%"kid"%'`);
      for (const row of rows) for (const kid of sealedKeyIds(row.json as string)) counts.set(kid, (counts.get(kid) ?? 0) + 1);
    }
  });
  return counts;
}

/** Opens every secret by resealing all of them in a transaction that is then rolled back. */
async function secretsOpen(services: Services): Promise<Finding> {
  try {
    await services.storage.orm.em.transactional(async () => {
      await resealAll(services, services.audit, { principal: CLI_PRINCIPAL });
      throw new DryRun();
    });
  } catch (err) {
    if (!(err instanceof DryRun)) {
      return {
        check: 'secrets',
        ok: false,
        detail: `a stored secret does not open: ${(err as Error).message}`,
        fix: 'the key with that id is not the one it was sealed with: set ENCRYPTION_KEY (or the PREVIOUS_ENCRYPTION_KEYS entry) to the original key',
      };
    }
  } finally {
    services.storage.orm.em.clear();
  }
  return { check: 'secrets', ok: true, detail: 'every stored secret opens with the configured keys' };
}

async function publicUrl(services: Services): Promise<Finding> {
  if (services.config.server.publicUrl) return { check: 'public URL', ok: true, detail: services.config.server.publicUrl };
  const [{ clusters, callbacks }] = await query(
    services,
    `select (select count(*) from "cluster") as "clusters", (select count(*) from "analysis_provider" where "type" = 'n8n' and "config"->>'mode' = 'callback') as "callbacks"`,
  );
  const users = [
    Number(clusters) ? `${clusters} clusters (their Alertmanagers post to it)` : '',
    Number(callbacks) ? `${callbacks} n8n providers in callback mode (they post results to it)` : '',
  ].filter(Boolean);
  if (users.length === 0) return { check: 'public URL', ok: true, detail: 'PUBLIC_URL unset; nothing needs it yet' };
  return {
    check: 'public URL',
    ok: false,
    detail: `PUBLIC_URL is unset, so ${users.join(' and ')} are told http://localhost:<port>, which they cannot reach from elsewhere`,
    fix: 'set PUBLIC_URL to the URL at which Alertmanager and n8n reach AlertAgent, e.g. http://alertagent.monitoring:4000',
  };
}

async function routesToMissingChannels(services: Services): Promise<Finding> {
  const rows = await query(
    services,
    `select r."name" as "route", ids.id as "channel" from "gateway_route" r cross join lateral jsonb_array_elements_text(r."channel_ids"::jsonb) as ids(id)
     where not exists (select 1 from "channel" c where c."id"::text = ids.id) order by r."name"`,
  );
  if (rows.length === 0) return { check: 'routes', ok: true, detail: 'every route names channels that exist' };
  return {
    check: 'routes',
    ok: false,
    detail: rows.map((r) => `route ${r.route as string} names channel ${r.channel as string}, which does not exist`).join('; '),
    fix: 'updateRoute with the channels it should send to (its alerts go only to the channels that exist)',
  };
}

async function unroutedAlerts(services: Services): Promise<Finding> {
  const rows = await query(
    services,
    `select "alertname", count(*) as "n" from "alert_record" where "state" = 'unrouted' and "received_at" > now() - interval '24 hours' group by "alertname" order by count(*) desc limit 5`,
  );
  if (rows.length === 0) return { check: 'unrouted alerts', ok: true, detail: 'every alert of the last 24 hours matched a route' };
  return {
    check: 'unrouted alerts',
    ok: false,
    detail: `alerts of the last 24 hours matched no route: ${rows.map((r) => `${r.alertname as string} (${r.n as string})`).join(', ')}`,
    fix: 'add a route for them, or mark one route isDefault so nothing goes unheard',
  };
}
