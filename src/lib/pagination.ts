// Limit/offset pagination: one row more than asked tells whether another page exists.
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
export const MAX_OFFSET = 100_000;

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  limit: number;
  offset: number;
  has_more: boolean;
}

/** Builds the page from rows fetched with `limit + 1`. */
export function toPage<Row, Item>(rows: Row[], request: PageRequest, toItem: (row: Row) => Item): Page<Item> {
  return {
    items: rows.slice(0, request.limit).map(toItem),
    limit: request.limit,
    offset: request.offset,
    has_more: rows.length > request.limit,
  };
}
