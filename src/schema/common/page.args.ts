import { ArgsType, Field, Int } from 'type-graphql';
import { z } from 'zod';
import { parseInput } from '../../errors';
import type { PageRequest } from '../../domain/page';
import { SortOrder } from './enums';

/** Offset pagination shared by every list: `limit` rows from `offset`, in `order`. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 50, description: 'Rows to return, 1 to 500' })
  limit!: number;

  @Field(() => Int, { defaultValue: 0, description: 'Rows to skip' })
  offset!: number;

  @Field(() => SortOrder, { defaultValue: SortOrder.DESC, description: 'Order by creation time' })
  order!: SortOrder;
}

/** The bounds of every page: 1 to 500 rows from a non-negative offset. */
export const PAGE_BOUNDS = {
  limit: z.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500'),
  offset: z.number().int().min(0, 'must not be negative'),
};

const pageSchema = z.object({ ...PAGE_BOUNDS, order: z.enum(['asc', 'desc']) });

/** Checks the page bounds and hands repositories a plain page request. */
export function toPageRequest(args: PageArgs): PageRequest {
  return parseInput(pageSchema, { limit: args.limit, offset: args.offset, order: args.order });
}
