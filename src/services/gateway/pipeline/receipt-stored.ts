/** How long another receipt may take to be stored before this one acts as if it never will be. */
export const RECEIPT_STORE_GRACE_MS = 1_000;

/**
 * Whether another receipt is on disk (so what it holds will be delivered). Asked once this
 * receipt is stored itself; a receipt still being stored elsewhere gets a grace period. A
 * receipt that is not stored by then belonged to a process that died before answering, so
 * Alertmanager sent its alerts again, and the copy asking now takes over what it held.
 */
export async function receiptStored(
  receiptExists: (receiptId: string) => Promise<boolean>,
  receiptId: string,
  ownStore: Promise<void> | null,
  graceMs = RECEIPT_STORE_GRACE_MS,
): Promise<boolean> {
  await ownStore;
  for (const wait of [0, graceMs]) {
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (await receiptExists(receiptId)) return true;
  }
  return false;
}
