/**
 * Wall dates and times in a time zone (the policy's, or a freeze's). `<input
 * type="datetime-local">` sends a wall time without a zone (`2026-05-04T09:30`); changeguard
 * shows every time in the policy's zone, so that is the zone a typed time is read in. Policy
 * freezes name their dates the same way, in their own zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(date: Date, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(date).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** How far the zone's wall clock is ahead of UTC at `date`, in ms. */
function offsetAt(date: Date, timeZone: string): number {
  const p = partsIn(date, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(date.getTime() / 1000) * 1000;
}

export const WALL_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
export const WALL_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The instant a wall time names in `timeZone`, or null when it is not a real date and time.
 * A time skipped by a daylight-saving jump is taken as the instant just after the jump.
 */
export function wallTimeToDate(text: string, timeZone: string): Date | null {
  const match = WALL_TIME_PATTERN.exec(text) ?? (WALL_DATE_PATTERN.test(text) ? WALL_TIME_PATTERN.exec(`${text}T00:00`) : null);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  if (new Date(asUtc).getUTCDate() !== day) return null;
  // Two passes: the offset at the first guess may differ from the offset at the answer (DST).
  const first = asUtc - offsetAt(new Date(asUtc), timeZone);
  return new Date(asUtc - offsetAt(new Date(first), timeZone));
}

/** `2026-05-04T09:30` for `<input type="datetime-local">`, in `timeZone`. */
export function dateToWallTime(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

/** `2026-05-04` for `<input type="date">`, in `timeZone`. */
export function dateToWallDate(date: Date, timeZone: string): string {
  return dateToWallTime(date, timeZone).slice(0, 10);
}

/** The instant the day after `day` (`YYYY-MM-DD`) begins in `timeZone`: a day-saving day keeps its length. */
export function startOfNextDay(day: string, timeZone: string): Date | null {
  const match = WALL_DATE_PATTERN.exec(day);
  if (!match || !wallTimeToDate(day, timeZone)) return null;
  const [year, month, date] = match.slice(1, 4).map(Number) as [number, number, number];
  return wallTimeToDate(new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10), timeZone);
}
