import { z } from 'zod';

/** `?page=`: a whole number from 1, default 1. */
export const pageNumber = z
  .string()
  .regex(/^[1-9]\d{0,5}$/, 'expected a page number from 1')
  .transform(Number)
  .optional()
  .transform((n) => n ?? 1);

/** Links to the previous and next pages that keep the current filters. */
export function pageLinks(
  path: string,
  filters: Readonly<Record<string, string | undefined>>,
  page: number,
  hasMore: boolean,
): { page: number; previous: string | undefined; next: string | undefined } {
  const href = (n: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
    if (n > 1) params.set('page', String(n));
    const query = params.toString();
    return query ? `${path}?${query}` : path;
  };
  return { page, previous: page > 1 ? href(page - 1) : undefined, next: hasMore ? href(page + 1) : undefined };
}
