/** Change codes look like `CHG-42`: letters, a dash, digits or letters; case-insensitive input. */
export const CHANGE_CODE_PATTERN = /^[A-Z][A-Z0-9]{1,9}-[A-Z0-9][A-Z0-9-]{0,30}$/;

export function normaliseChangeCode(input: string): string {
  return input.trim().toUpperCase();
}

export function isValidChangeCode(code: string): boolean {
  return CHANGE_CODE_PATTERN.test(code);
}

export function suggestChangeCode(sequence: number, prefix = 'CHG'): string {
  return `${prefix}-${sequence}`;
}
