import { createHash } from 'node:crypto';
import type { Hold } from '../record-state';
import type { HoldStage, ReceiptInHand } from './receipt';
import type { WindowClaims } from './window-claims';

/**
 * Alertmanager HA: every replica sends the same notification. The first copy of an alert's
 * notification (same group, fingerprint, status and start) within the window is taken; the
 * others are recorded as duplicates. Always on.
 */
export class DedupeStage implements HoldStage {
  readonly name = 'dedupe';

  constructor(
    private readonly claims: WindowClaims,
    private readonly windowMs: () => number,
  ) {}

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    const { payload, receiptId } = receipt;
    const group = createHash('sha1').update(payload.groupKey).digest('hex').slice(0, 16);
    const copies = await this.claims.claim(
      receipt,
      payload.alerts.map((a) => `dedupe:${group}:${a.fingerprint}:${a.status}:${a.startsAt}`),
      this.windowMs(),
    );
    copies.forEach((copy, i) => {
      if (held[i] === null && copy.owner !== receiptId)
        held[i] = { state: 'duplicate', detail: `same notification already taken by receipt ${copy.owner}` };
    });
  }
}
