import type { HelperDelegate, HelperOptions } from 'handlebars';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
      timeZoneName: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The policy's time zone, which every page puts at `@root.portal.timezone`. */
function timeZoneOf(options: HelperOptions): string {
  const root = (options.data as { root?: { portal?: { timezone?: unknown } } } | undefined)?.root;
  return typeof root?.portal?.timezone === 'string' ? root.portal.timezone : 'UTC';
}

function asDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}

/** The last argument of a helper call is Handlebars' options object. */
function args(all: unknown[]): { values: unknown[]; options: HelperOptions } {
  return { values: all.slice(0, -1), options: all[all.length - 1] as HelperOptions };
}

/**
 * Formatting only: every helper returns plain strings, which Handlebars escapes like any
 * other value (none returns a SafeString).
 */
export const TEMPLATE_HELPERS: Readonly<Record<string, HelperDelegate>> = {
  time(...all: unknown[]) {
    const { values, options } = args(all);
    const date = asDate(values[0]);
    return date ? formatterFor(timeZoneOf(options)).format(date) : '';
  },
  /** Time of day only (`10:01:07`), for lists within one change or session. */
  clockTime(...all: unknown[]) {
    const { values, options } = args(all);
    const date = asDate(values[0]);
    if (!date) return '';
    return new Intl.DateTimeFormat('en-GB', { timeZone: timeZoneOf(options), hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(date);
  },
  isoTime(value: unknown) {
    return asDate(value)?.toISOString() ?? '';
  },
  /** `pending_approval` -> `pending approval`. */
  words(value: unknown) {
    return typeof value === 'string' ? value.replace(/_/g, ' ') : '';
  },
  eq(a: unknown, b: unknown) {
    return a === b;
  },
  or(...all: unknown[]) {
    return args(all).values.some(Boolean);
  },
  and(...all: unknown[]) {
    return args(all).values.every(Boolean);
  },
  not(value: unknown) {
    return !value;
  },
  join(list: unknown, separator: unknown) {
    return Array.isArray(list) ? list.map(String).join(typeof separator === 'string' ? separator : ', ') : '';
  },
  count(list: unknown) {
    return Array.isArray(list) ? list.length : 0;
  },
  shortHash(value: unknown) {
    return typeof value === 'string' ? value.slice(0, 12) : '';
  },
  /** A path segment: `/changes/{{segment code}}`. */
  segment(value: unknown) {
    return encodeURIComponent(String(value ?? ''));
  },
  plural(n: unknown, singular: unknown, pluralForm: unknown) {
    return `${String(n)} ${n === 1 ? String(singular) : String(pluralForm)}`;
  },
};
