import type { Page, PageRequest } from '../../domain/page';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { AlertRecordFilter, AlertRecordRepository, AlertRecordRow } from './alert-record.repository';

export type { AlertRecordRow } from './alert-record.repository';

/** What the API filters records by: label filters as `name=value` text, as users type them. */
export type AlertRecordQuery = Omit<AlertRecordFilter, 'labels' | 'clusters' | 'id'> & { labels?: readonly string[] | null };

/** `name=value` filters as a map (a value may be quoted); refused when one has no `=` or an empty name. */
export function labelEqualities(list: readonly string[] | null | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(
    list.map((entry, index) => {
      const at = entry.indexOf('=');
      if (at < 1) throw BadUserInputError.forField(`labels[${index}]`, 'expected name=value');
      const value = entry.slice(at + 1).trim();
      return [entry.slice(0, at).trim(), value.replace(/^"(.*)"$/, '$1')];
    }),
  );
}

/**
 * Processing records as readers see them: only those of the clusters in a reader's scope (null:
 * every cluster).
 */
export class AlertRecordService {
  constructor(private readonly records: AlertRecordRepository) {}

  /** `total` false skips the count (the answer's total is then 0): a full count is the dearer half of a page. */
  page(
    query: AlertRecordQuery,
    page: PageRequest,
    visibleClusters: ReadonlySet<string> | null,
    options: { total: boolean } = { total: true },
  ): Promise<Page<AlertRecordRow>> {
    const filter = { ...query, labels: labelEqualities(query.labels), clusters: visibleClusters ? [...visibleClusters] : undefined };
    return this.records.findPage(filter, page, options);
  }

  async get(id: string, visibleClusters: ReadonlySet<string> | null): Promise<AlertRecordRow> {
    const filter = {
      id: BadUserInputError.assertUuid(id, 'id', 'expected an alert record id'),
      clusters: visibleClusters ? [...visibleClusters] : undefined,
    };
    const { items } = await this.records.findPage(filter, { limit: 1, offset: 0, order: 'desc' }, { total: false });
    return NotFoundError.assert(items[0], 'alert record', id);
  }
}
