import { BACKUP_PATH } from '../shared/paths';
import { Router } from 'express';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { AuditService } from '../services/security/audit.service';
import type { AuthService } from '../services/security/auth.service';
import type { BackupService } from '../services/backup/backup.service';
import { hasPermission } from '../services/security/principal';
import type { Logger } from '../shared/logger';

/**
 * GET /api/v1/backup — a backup of the whole database, streamed as it is read from one snapshot
 * (`backup:read`). The way to back up an embedded database while its server runs, since no
 * other process may open it; `alertagent backup --server` calls it. A failure part-way cuts the
 * connection, and the file it leaves has no end line, so a restore refuses it.
 */
export function backupRoutes(auth: AuthService, backup: BackupService, audit: AuditService, logger: Logger): Router {
  const router = Router();
  router.get(BACKUP_PATH, async (req, res, next) => {
    try {
      const principal = await auth.authenticate(req.header('authorization'));
      if (!principal) throw new UnauthenticatedError(`${BACKUP_PATH} needs a token with backup:read: Authorization: Bearer <token>`);
      if (!hasPermission(principal, 'backup:read')) throw new ForbiddenError(`${BACKUP_PATH} needs the permission backup:read`);
      res.setHeader('content-type', 'application/gzip');
      res.setHeader('content-disposition', `attachment; filename="alertagent-${new Date().toISOString().replace(/[:.]/g, '-')}.backup.gz"`);
      const summary = await backup.write(res);
      await audit.change({ principal, requestId: req.id, permission: 'backup:read' }, async (record) =>
        record('backup.created', 'system', 'database', { ...summary, via: 'http' }),
      );
    } catch (err) {
      if (!res.headersSent) return next(err);
      logger.error({ err }, 'backup failed part-way; the download was cut off');
      res.destroy();
    }
  });
  return router;
}
