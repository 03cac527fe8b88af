import { receiptFlagContext, type FlagContext } from '../../flags/flag-resolver';
import type { AlertmanagerPayload } from '../alertmanager-payload';
import type { Hold } from '../record-state';

/**
 * A receipt on its way through the pipeline. `stored` is its write when this process has just
 * taken it (still in flight), null when it was read back from the database.
 */
export interface ReceiptInHand {
  receiptId: string;
  payload: AlertmanagerPayload;
  receivedAt: Date;
  /** The record id of each alert, in order. */
  recordIds: string[];
  stored: Promise<void> | null;
  /** Windows this pass has opened, so a receipt that is never stored can give them back. */
  claimed: string[];
  /** Per alert: the incident it belongs to (flag gateway.grouping), null when none. */
  incidents: Array<string | null>;
  /** Work a stage left to run while the receipt's messages are sent; awaited before its records are written. */
  afterSend: Array<Promise<void>>;
  /** Per alert: annotations a stage adds to the message that carries it (e.g. "flapping"). */
  annotate: Array<Record<string, string> | null>;
  /** The Unleash context of the whole notification, made once for every stage's flag check. */
  flagContext: FlagContext;
}

/** A receipt in hand before any stage has seen it. */
export function freshReceipt(fields: Pick<ReceiptInHand, 'receiptId' | 'payload' | 'receivedAt' | 'recordIds' | 'stored'>): ReceiptInHand {
  const none = () => fields.payload.alerts.map(() => null);
  return {
    ...fields,
    claimed: [],
    incidents: none(),
    afterSend: [],
    annotate: none(),
    flagContext: receiptFlagContext(fields.payload.commonLabels),
  };
}

/**
 * A stage that may hold alerts back before routing (copies, repeats, maintenance, inhibition,
 * incidents). `held[i]` is non-null for alerts an earlier stage already held; a stage decides
 * only for the others and fills in its own holds.
 */
export interface HoldStage {
  readonly name: string;
  hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void>;
}

/** Indexes of the alerts no stage has held yet. */
export function stillTaken(held: Array<Hold | null>): number[] {
  const taken: number[] = [];
  held.forEach((h, i) => {
    if (h === null) taken.push(i);
  });
  return taken;
}
