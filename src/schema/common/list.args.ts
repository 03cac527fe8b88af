import type { ClassType } from 'type-graphql';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { parseInput } from '../../errors';
import { SortOrder } from './enums';
import { PAGE_BOUNDS } from './page.args';

/**
 * Paging, sorting and a name search for the lists of configuration objects (clusters, routes,
 * rule groups…). These lists are as long as a team's configuration, not as its alert traffic, so
 * they are read whole and cut here; the traffic lists (records, deliveries, audit) page in SQL.
 */
@ArgsType()
export class ListArgs {
  @Field(() => Int, { defaultValue: 50, description: 'Rows to return, 1 to 500' })
  limit!: number;

  @Field(() => Int, { defaultValue: 0, description: 'Rows to skip' })
  offset!: number;

  @Field(() => SortOrder, {
    nullable: true,
    description: 'Direction of sortBy; by default ascending for names and positions, newest first for times',
  })
  order?: SortOrder | null;

  @Field(() => String, { nullable: true, description: 'Substring of the name, any case' })
  search?: string | null;
}

const listSchema = z.object({
  ...PAGE_BOUNDS,
  search: z.string().max(200, 'must be at most 200 characters').nullish(),
});

type SortValue = string | number | Date | null;

/** How one sortBy value orders items, and which way by default. */
export interface SortKey<T> {
  value: (item: T) => SortValue;
  defaultOrder: SortOrder;
}

/**
 * Sorting by a field of the item, in the order ListArgs promises by default: newest first for
 * times (fields named …At), ascending for everything else (names, positions, states).
 */
export function byField<T, F extends keyof T & string>(field: F): SortKey<T> {
  return { value: (item) => item[field] as SortValue, defaultOrder: field.endsWith('At') ? SortOrder.DESC : SortOrder.ASC };
}

function compare(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return 1; // missing values last whichever the direction
  if (b === null) return -1;
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b);
  return Number(a) - Number(b);
}

/**
 * One page of `items`: those whose name contains `search` (any case), those `keep` accepts,
 * sorted by `key` (ties keep the stored order) and cut to limit/offset; `total` counts every match.
 */
export function pageOf<T>(
  items: readonly T[],
  args: ListArgs,
  name: (item: T) => string,
  key: SortKey<T>,
  keep: (item: T) => boolean = () => true,
): { items: T[]; total: number } {
  const { limit, offset, search } = parseInput(listSchema, { limit: args.limit, offset: args.offset, search: args.search });
  const needle = search?.toLowerCase() ?? '';
  const matching = items.filter((item) => (!needle || name(item).toLowerCase().includes(needle)) && keep(item));
  const direction = (args.order ?? key.defaultOrder) === SortOrder.ASC ? 1 : -1;
  const sorted = matching
    .map((item, index) => ({ item, index, value: key.value(item) }))
    .sort((a, b) => {
      const byValue = a.value === null || b.value === null ? compare(a.value, b.value) : direction * compare(a.value, b.value);
      return byValue || a.index - b.index;
    });
  return { items: sorted.slice(offset, offset + limit).map((s) => s.item), total: matching.length };
}

/** The `{ items, total }` object type of one list; give the subclass its GraphQL name. */
export function PageOf<T extends object>(itemType: ClassType<T>) {
  @ObjectType()
  abstract class Page {
    @Field(() => [itemType])
    items!: T[];

    @Field(() => Int, { description: 'Rows that match, over all pages' })
    total!: number;
  }
  return Page;
}
