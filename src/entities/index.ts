import { ApiTokenEntity } from './security/api-token.entity';
import { AuditEventEntity } from './security/audit-event.entity';

/** Every entity MikroORM knows; listed explicitly so compiled and ts-jest runs discover the same set. */
export const ENTITIES = [ApiTokenEntity, AuditEventEntity];
export { ApiTokenEntity, AuditEventEntity };
