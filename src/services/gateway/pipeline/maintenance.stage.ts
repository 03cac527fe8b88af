import type { FlagResolver } from '../../flags/flag-resolver';
import type { MaintenanceWindowService } from '../../maintenance-windows/maintenance-window.service';
import type { SuppressedAlert, SuppressedAlerts } from '../../maintenance-windows/suppressed-alerts';
import { toAlertView, type Hold } from '../record-state';
import { stillTaken, type HoldStage, type ReceiptInHand } from './receipt';

export interface MaintenanceStageDeps {
  flags: FlagResolver;
  windows: Pick<MaintenanceWindowService, 'covering'>;
  suppressed: Pick<SuppressedAlerts, 'record'>;
}

/**
 * Maintenance windows (flag gateway.maintenance): alerts an open window covers are recorded as
 * `suppressed` (firing or resolved) and not sent; when the window closes, what still fires is
 * sent then (see SuppressedAlerts).
 */
export class MaintenanceStage implements HoldStage {
  readonly name = 'maintenance';

  constructor(private readonly deps: MaintenanceStageDeps) {}

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    if (!this.deps.flags.isEnabled('gateway.maintenance', receipt.flagContext)) return;
    const { alerts, receiver, groupKey } = receipt.payload;
    const now = new Date();
    const suppressed: SuppressedAlert[] = [];
    for (const index of stillTaken(held)) {
      const alert = alerts[index];
      const window = this.deps.windows.covering(alert.labels, now);
      if (!window) continue;
      held[index] = { state: 'suppressed', detail: `in maintenance window "${window.name}" until ${window.occurrence.end.toISOString()}` };
      suppressed.push({
        windowId: window.id,
        fingerprint: alert.fingerprint,
        occurrenceEnd: window.occurrence.end,
        status: alert.status,
        alert: toAlertView(alert),
        receiver,
        groupKey,
      });
    }
    await this.deps.suppressed.record(suppressed, now);
  }
}
