/** A slice of a list as every repository takes it: how many, from where, and in which direction by time. */
export interface PageRequest {
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
}

/** A slice of a list and how long the whole list is. */
export interface Page<T> {
  items: T[];
  total: number;
}
