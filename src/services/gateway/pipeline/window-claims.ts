import type { WindowClaim, WindowStore } from '../window-store';
import type { ReceiptInHand } from './receipt';
import { receiptStored, RECEIPT_STORE_GRACE_MS } from './receipt-stored';

/**
 * Opens windows for a receipt, in one round trip per call. A window opens before its receipt is
 * stored; one whose receipt never was (its process died before answering, so Alertmanager sent
 * again) belongs to the copy asking now.
 */
export class WindowClaims {
  constructor(
    private readonly windows: WindowStore,
    private readonly receiptExists: (receiptId: string) => Promise<boolean>,
    private readonly graceMs = RECEIPT_STORE_GRACE_MS,
  ) {}

  /** One claim per key; the windows the receipt opened are added to `receipt.claimed`. */
  async claim(receipt: ReceiptInHand, keys: string[], windowMs: number): Promise<WindowClaim[]> {
    const { receiptId } = receipt;
    const ownerStored = new Map<string, Promise<boolean>>();
    const windows = await this.windows.claim(keys, receiptId, windowMs);
    return Promise.all(
      windows.map(async (first, i) => {
        let window = first;
        for (let tries = 0; window.owner !== receiptId && tries < 3; tries += 1) {
          if (!ownerStored.has(window.owner))
            ownerStored.set(window.owner, receiptStored(this.receiptExists, window.owner, receipt.stored, this.graceMs));
          if (await ownerStored.get(window.owner)) return window;
          if (await this.windows.takeOver(keys[i], window.owner, receiptId)) window = { ...window, owner: receiptId, count: 1 };
          // Closed meanwhile (released by its failed receipt, or expired): claimed afresh.
          else [window] = await this.windows.claim([keys[i]], receiptId, windowMs);
        }
        if (window.owner === receiptId) receipt.claimed.push(keys[i]);
        return window;
      }),
    );
  }
}
