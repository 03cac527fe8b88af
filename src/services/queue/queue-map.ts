/** Every queue and the data its jobs carry. Job data holds ids and small values; processors reload the rest. */
export interface QueueJobs {
  /** Deletes audit events older than the retention period. */
  'maintenance.prune-audit': { olderThanDays: number };
}

export type QueueName = keyof QueueJobs;
export const QUEUE_NAMES: QueueName[] = ['maintenance.prune-audit'];
