#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config';
import { BUILT_IN_ROLES } from '../services/security/permissions';
import type { Services } from '../services';
import { CLI_PRINCIPAL } from '../services/security/principal';
import { checkRuleFiles } from './rules-check';
import type { SidecarFlags } from '../sidecar/sidecar-command';

const program = new Command();
program
  .name('alertagent')
  .description('Intelligent alert hub for Prometheus and Alertmanager')
  .option('-c, --config <file>', 'YAML configuration file (default: $ALERTAGENT_CONFIG)');

function configFile(): string | undefined {
  return program.opts<{ config?: string }>().config ?? process.env.ALERTAGENT_CONFIG;
}

async function readConfig(): Promise<Config> {
  const { loadConfig } = await import('../config.js');
  return loadConfig({ file: configFile() });
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a whole number above 0');
  return parsed;
}

// The server, the services and the schema are loaded by the commands that use them: a command such
// as `rules check` starts in a fraction of the time the whole application takes to load.

/** Runs `work` against the services with one entity-manager context, then closes everything. */
async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  const config = await readConfig();
  const [{ createServices }, { RequestContext }, { createLogger }, { default: pino }] = await Promise.all([
    import('../services/index.js'),
    import('@mikro-orm/core'),
    import('../shared/logger.js'),
    import('pino'),
  ]);
  // Logs go to stderr: what a command prints on stdout is its answer (a token, JSON for a script).
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, {}, pino.destination({ fd: 2, sync: true }));
  const services = await createServices(config, { logger, role: 'cli' });
  try {
    return await RequestContext.create(services.storage.orm.em, () => work(services));
  } finally {
    await services.close();
  }
}

function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`received ${signal}, shutting down\n`);
    stop()
      .then(() => process.exit(0))
      .catch((err) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

program
  .command('serve')
  .description('Run the GraphQL API, subscriptions, webhook and operational routes (and the workers, unless disabled)')
  .action(async () => {
    const { serve } = await import('./serve.js');
    const handle = await serve({ config: await readConfig(), configFile: configFile() });
    stopOnSignals(handle.stop);
  });

program
  .command('worker')
  .description('Run only the queue workers (production scale-out; needs REDIS_URL to share work)')
  .action(async () => {
    const config = await readConfig();
    const [{ createServices }, { createLogger }] = await Promise.all([import('../services/index.js'), import('../shared/logger.js')]);
    const services = await createServices(config, { logger: createLogger(config.log.level), role: 'worker' });
    await services.start();
    services.logger.info({ redis: Boolean(config.redis.url) }, 'worker started');
    stopOnSignals(() => services.close());
  });

program
  .command('prune')
  .description('Delete stored data past its retention now (serve and worker do it every hour)')
  .action(() =>
    withServices(async ({ retention }) => {
      const removed = await retention.prune();
      for (const [kind, rows] of Object.entries(removed)) console.log(`${kind.padEnd(17)} ${rows}`);
    }),
  );

program
  .command('backup')
  .description('Write a backup of the whole database to a file: one consistent snapshot, safe while serving; secrets stay sealed')
  .requiredOption('--out <file>', 'where to write it (gzip); an existing file is not overwritten')
  .option(
    '--server <url>',
    'take it through a running server, e.g. http://localhost:4000 (the way for an embedded database while its server runs); token from --token-file or ALERTAGENT_TOKEN, with backup:read',
  )
  .option('--token-file <file>', 'file holding the API token for --server')
  .action(async (options: { out: string; server?: string; tokenFile?: string }) => {
    const { writeBackupFile } = await import('./backup-command.js');
    const summary = await writeBackupFile(options, options.server ? undefined : (work) => withServices((services) => work(services)));
    console.log(
      `backup written to ${options.out}: ${summary.tables} tables, ${summary.rows} rows, ${summary.bytes} bytes, schema ${summary.migration}${summary.sealedWith.length ? `; secrets sealed with key ${summary.sealedWith.join(', ')}` : ''}`,
    );
  });

program
  .command('restore <file>')
  .description(
    'Restore a backup into an empty database (PostgreSQL or embedded, whichever this configuration names), then migrate it to this release',
  )
  .action((file: string) =>
    withServices(async ({ backup, audit }) => {
      const summary = await backup.restore(file);
      await audit.change({ principal: CLI_PRINCIPAL }, async (record) =>
        record('backup.restored', 'system', 'database', { file, ...summary }),
      );
      console.log(
        `restored ${summary.rows} rows in ${summary.tables} tables from schema ${summary.from}${summary.migratedForward.length ? `; then applied ${summary.migratedForward.join(', ')}` : ''}`,
      );
    }),
  );

program
  .command('doctor')
  .description(
    'Check this installation (database, Redis, Unleash, migrations, secrets and keys, PUBLIC_URL, routes, unrouted alerts) and say how to fix what is wrong; exits 1 when something is',
  )
  .option('--json', 'print the findings as JSON')
  .action((options: { json?: boolean }) =>
    withServices(async (services) => {
      const { examine } = await import('../services/system/doctor.js');
      const findings = await examine(services);
      if (options.json) console.log(JSON.stringify(findings, null, 2));
      else
        for (const f of findings)
          console.log(
            `${f.ok ? 'ok     ' : 'PROBLEM'} ${f.check.padEnd(16)} ${f.detail}${f.fix ? `\n        ${''.padEnd(16)} fix: ${f.fix}` : ''}`,
          );
      if (findings.some((f) => !f.ok)) process.exitCode = 1;
    }),
  );

const migrate = program.command('migrate').description('Database schema migrations');
migrate
  .command('up')
  .description('Apply every pending migration')
  .action(() =>
    withServices(async ({ migrations }) => {
      const applied = await migrations.up();
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    }),
  );
migrate
  .command('down')
  .description('Revert the newest migration (or more)')
  .option('--steps <n>', 'how many migrations to revert', wholeNumber, 1)
  .option('--all', 'revert every migration')
  .action((options: { steps: number; all?: boolean }) =>
    withServices(async ({ migrations }) => {
      const reverted = await migrations.down(options.all ? 'all' : options.steps);
      console.log(reverted.length ? `reverted: ${reverted.join(', ')}` : 'nothing to revert');
    }),
  );
migrate
  .command('status')
  .description('List executed and pending migrations')
  .action(() =>
    withServices(async ({ migrations }) => {
      const { executed, pending } = await migrations.status();
      for (const name of executed) console.log(`executed  ${name}`);
      for (const name of pending) console.log(`pending   ${name}`);
    }),
  );

const token = program.command('token').description('API tokens (run with the server stopped when using the embedded database)');
token
  .command('create')
  .description('Create an API token and print it once')
  .requiredOption('--name <name>', 'who uses the token')
  .option('--role <role>', `role of the token: ${BUILT_IN_ROLES.join(', ')}, or a role an admin defined`, 'admin')
  .option('--expires-in-days <days>', 'expiry in days', wholeNumber)
  .action((options: { name: string; role: string; expiresInDays?: number }) =>
    withServices(async ({ apiTokens, migrations }) => {
      await migrations.up();
      const created = await apiTokens.create(options, { principal: CLI_PRINCIPAL });
      console.log(created.token);
    }),
  );
token
  .command('list')
  .description('List API tokens')
  .option('--all', 'include revoked tokens')
  .action((options: { all?: boolean }) =>
    withServices(async ({ apiTokens }) => {
      for (const t of await apiTokens.list(Boolean(options.all))) {
        const state = t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt <= new Date() ? 'expired' : 'active';
        console.log([t.id, `${t.prefix}…`, t.role, state, t.name].join('\t'));
      }
    }),
  );
token
  .command('revoke <id>')
  .description('Revoke an API token')
  .action((id: string) =>
    withServices(async ({ apiTokens }) => {
      await apiTokens.revoke(id, { principal: CLI_PRINCIPAL });
      console.log(`revoked ${id}`);
    }),
  );

program
  .command('secrets')
  .description('Secrets sealed at rest')
  .command('reseal')
  .description(
    'Seal every stored secret again with the current encryption key (after a rotation), and seal what older releases kept in clear',
  )
  .action(() =>
    withServices(async (services) => {
      await services.migrations.up();
      const { resealAll } = await import('../services/security/reseal.js');
      const counts = await resealAll(services, services.audit, { principal: CLI_PRINCIPAL });
      console.log(
        `resealed: ${counts.channels} channels, ${counts.analysisProviders} analysis providers, ${counts.clusters} clusters, ${counts.configVersions} config versions`,
      );
    }),
  );

const schema = program.command('schema').description('The GraphQL contract');
schema
  .command('emit')
  .description('Write the SDL (default: src/schema/schema.graphql)')
  .option('--out <file>', 'where to write', 'src/schema/schema.graphql')
  .action(async (options: { out: string }) => {
    const { printAppSchema } = await import('../schema/build-schema.js');
    writeFileSync(options.out, await printAppSchema());
    console.log(`wrote ${options.out}`);
  });

program
  .command('config-table')
  .description('Print the configuration reference as a Markdown table, or refresh it inside a README')
  .option('--write <readme>', 'replace the table between the config-table markers in this file')
  .action(async (options: { write?: string }) => {
    const { configTableMarkdown } = await import('./config-table.js');
    if (!options.write) return console.log(configTableMarkdown());
    const markers = /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/;
    const text = readFileSync(options.write, 'utf8');
    if (!markers.test(text)) throw new Error(`${options.write} has no config-table markers`);
    writeFileSync(options.write, text.replace(markers, `<!-- config-table:start -->\n${configTableMarkdown()}\n<!-- config-table:end -->`));
    console.log(`updated ${options.write}`);
  });

program
  .command('config')
  .description('Validate the configuration and print it with secrets hidden')
  .action(async () => {
    const { redactSettings } = await import('../shared/sensitive.js');
    console.log(JSON.stringify(redactSettings(await readConfig()), null, 2));
  });

const rules = program.command('rules').description('Prometheus rule files');
rules
  .command('check <files...>')
  .description('Check rule files as `promtool check rules` does; exits 1 when any file fails')
  .action((files: string[]) => {
    process.exitCode = checkRuleFiles(files);
  });

program
  .command('import')
  .description('Bring configuration over from other tools')
  .command('alertmanager <file>')
  .description(
    'Import an alertmanager.yml: receivers as channels, the route tree as routes with the same routing, inhibit rules, mute time intervals as maintenance windows; prints what each item became',
  )
  .option('--dry-run', 'only say what would be created or changed')
  .action((file: string, options: { dryRun?: boolean }) =>
    withServices(async (services) => {
      await services.migrations.up();
      const outcome = await services.alertmanagerImport.run(readFileSync(file, 'utf8'), Boolean(options.dryRun), {
        principal: CLI_PRINCIPAL,
      });
      for (const item of outcome.report) console.log(`${item.status.padEnd(19)} ${item.source}: ${item.detail}`);
      const counts = (action: string) => outcome.changes.filter((c) => c.action === action).length;
      console.log(
        `\n${outcome.dryRun ? 'dry run, nothing written: would ' : ''}create ${counts('create')}, update ${counts('update')}, leave ${counts('unchanged')} unchanged`,
      );
    }),
  );

program
  .command('sidecar')
  .description("Keep an engine's file in sync with AlertAgent: alertmanager.yml beside Alertmanager, a rule file beside Prometheus")
  .addOption(new Option('--kind <kind>', 'the engine beside this sidecar').choices(['alertmanager', 'prometheus']).default('alertmanager'))
  .requiredOption('--server <url>', "AlertAgent's base URL, e.g. http://alertagent:4000")
  .requiredOption('--cluster <name>', 'the cluster this engine belongs to')
  .option('--token-file <file>', "file holding the cluster's sidecar token (or set ALERTAGENT_SIDECAR_TOKEN)")
  .requiredOption('--file <path>', "the file it owns: alertmanager.yml, or a rule file Prometheus' rule_files includes")
  .requiredOption('--engine-url <url>', 'the engine, e.g. http://localhost:9093')
  .option('--instance <name>', "name in AlertAgent's sync status (default: the engine URL)")
  .option('--interval <duration>', 'poll interval (default: the interval set on the cluster)')
  .option('--backoff-base <duration>', 'first delay after a failure; doubles per failure, with jitter', '1s')
  .option('--backoff-max <duration>', 'longest delay after failures', '2m')
  .option('--listen <host:port>', 'address of /metrics and /healthz', '0.0.0.0:9531')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
  .action(async (options: SidecarFlags) => {
    const { runSidecar } = await import('../sidecar/sidecar-command.js');
    const stop = await runSidecar(options);
    stopOnSignals(stop);
  });

program.parseAsync(process.argv).catch(async (err: unknown) => {
  const [{ ConfigError }, { AppError }] = await Promise.all([import('../config.js'), import('../errors/index.js')]);
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof AppError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : inspect(err, { depth: 4 })}\n`);
  process.exit(1);
});
