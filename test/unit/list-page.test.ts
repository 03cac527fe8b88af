import 'reflect-metadata';
import { pageOf, type ListArgs } from '../../src/schema/common/list.args';
import { SortOrder } from '../../src/schema/common/enums';

interface Item {
  name: string;
  at: Date | null;
  position: number;
}

const items: Item[] = [
  { name: 'db-Primary', at: new Date(3000), position: 2 },
  { name: 'web', at: null, position: 0 },
  { name: 'db-replica', at: new Date(1000), position: 1 },
  { name: 'cache', at: new Date(2000), position: 1 },
];
const args = (over: Partial<ListArgs> = {}): ListArgs => ({ limit: 50, offset: 0, ...over });
const byAt = { value: (i: Item) => i.at, defaultOrder: SortOrder.DESC };
const byPosition = { value: (i: Item) => i.position, defaultOrder: SortOrder.ASC };
const names = (page: { items: Item[] }) => page.items.map((i) => i.name);

describe('pageOf', () => {
  it('sorts by the key in its default direction, ties in stored order, missing values last', () => {
    expect(names(pageOf(items, args(), (i) => i.name, byPosition))).toEqual(['web', 'db-replica', 'cache', 'db-Primary']);
    expect(names(pageOf(items, args(), (i) => i.name, byAt))).toEqual(['db-Primary', 'cache', 'db-replica', 'web']);
    expect(names(pageOf(items, args({ order: SortOrder.ASC }), (i) => i.name, byAt))).toEqual(['db-replica', 'cache', 'db-Primary', 'web']);
  });

  it('searches names in any case, filters, and counts every match over pages', () => {
    const page = pageOf(items, args({ search: 'DB-', limit: 1, offset: 1 }), (i) => i.name, byPosition);
    expect(page).toEqual({ items: [items[0]], total: 2 });
    expect(
      pageOf(
        items,
        args(),
        (i) => i.name,
        byPosition,
        (i) => i.position === 1,
      ).total,
    ).toBe(2);
    expect(pageOf(items, args({ offset: 10 }), (i) => i.name, byPosition)).toEqual({ items: [], total: 4 });
  });

  it('refuses bounds a page cannot have, naming the argument', () => {
    expect(() => pageOf(items, args({ limit: 0 }), (i) => i.name, byAt)).toThrow('limit: must be at least 1');
    expect(() => pageOf(items, args({ limit: 501 }), (i) => i.name, byAt)).toThrow('limit: must be at most 500');
    expect(() => pageOf(items, args({ offset: -1 }), (i) => i.name, byAt)).toThrow('offset: must not be negative');
    expect(() => pageOf(items, args({ search: 'x'.repeat(201) }), (i) => i.name, byAt)).toThrow('search: must be at most 200 characters');
  });
});
