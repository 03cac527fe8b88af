import { randomUUID } from 'node:crypto';
import { createLogger } from '../../../src/shared/logger';
import { IncidentRepository } from '../../../src/services/incidents/incident.repository';
import { MigrationRunner } from '../../../src/services/storage/migrations';
import { openStorage, type Storage } from '../../../src/services/storage/orm';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** The sweeps' SQL on PostgreSQL: what a lost job, a crash or a quiet incident leaves is found again. */
describe('incident sweeps', () => {
  let db: TestDatabase;
  let storage: Storage;
  let repository: IncidentRepository;
  const now = new Date('2026-12-04T12:00:00Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  async function incident(values: {
    state?: string;
    lastAlertAgo: number;
    pendingAgo?: number | null;
    notifiedAgo?: number | null;
    openedAgo: number;
    resolvedAgo?: number | null;
    key?: string;
  }): Promise<string> {
    const id = randomUUID();
    await storage.orm.em.getConnection().execute(
      `insert into "incident" ("id", "policy_id", "policy_name", "correlation_key", "labels", "title", "state", "opened_by_receipt", "receiver", "channel_ids",
         "window_seconds", "update_interval_seconds", "reopen_grace_seconds", "opened_at", "last_alert_at", "updated_at", "resolved_at", "update_pending_since", "last_notified_at")
       values (?, ?, 'p', ?, '{}', 't', ?, ?, 'r', '[]', 3600, 60, 600, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        randomUUID(),
        values.key ?? id,
        values.state ?? 'updated',
        randomUUID(),
        ago(values.openedAgo),
        ago(values.lastAlertAgo),
        ago(values.lastAlertAgo),
        values.resolvedAgo == null ? null : ago(values.resolvedAgo),
        values.pendingAgo == null ? null : ago(values.pendingAgo),
        values.notifiedAgo == null ? null : ago(values.notifiedAgo),
      ],
    );
    return id;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    storage = await openStorage({ database: { url: db.url, dataDir: '', autoMigrate: false, poolMax: 2 } }, createLogger('silent'));
    await new MigrationRunner(storage.orm).up();
    repository = new IncidentRepository(storage.orm);
  });

  afterAll(async () => {
    await storage?.close();
    await db?.drop();
  });

  it('finds pending updates past due, and closes incidents quiet past their window', async () => {
    const overdue = await incident({ openedAgo: 600, lastAlertAgo: 100, pendingAgo: 100, notifiedAgo: 120 });
    const notYet = await incident({ openedAgo: 600, lastAlertAgo: 10, pendingAgo: 10, notifiedAgo: 30 });
    const quiet = await incident({ openedAgo: 9000, lastAlertAgo: 4000 });
    const calm = await incident({ openedAgo: 9000, lastAlertAgo: 100 });
    const due = await repository.overdue(now, 5_000, 100);
    expect(due.map((d) => d.incidentId).sort()).toEqual([overdue, quiet].sort());
    expect(due.find((d) => d.incidentId === overdue)!.dueAt).toEqual(ago(60));
    expect(due.map((d) => d.incidentId)).not.toContain(notYet);
    expect(due.map((d) => d.incidentId)).not.toContain(calm);
  });

  it('knows open incidents and resolved ones within their reopen grace', async () => {
    await incident({ key: 'open-key', openedAgo: 100, lastAlertAgo: 50 });
    await incident({ key: 'recent-key', state: 'resolved', openedAgo: 900, lastAlertAgo: 300, resolvedAgo: 300 });
    await incident({ key: 'old-key', state: 'resolved', openedAgo: 9000, lastAlertAgo: 8000, resolvedAgo: 8000 });
    const known = new Map((await repository.knownKeys(now)).map((k) => [k.key, k.until]));
    expect(known.get('open-key')).toBe(Infinity);
    expect(known.get('recent-key')).toBe(ago(300).getTime() + 600_000);
    expect(known.has('old-key')).toBe(false);
  });
});
