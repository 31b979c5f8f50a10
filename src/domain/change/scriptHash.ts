import { createHash } from 'node:crypto';

/**
 * Approval is bound to the script's content. Line endings and trailing blanks are folded so
 * that the same script pasted from another editor keeps its approval.
 */
export function hashScript(script: string): string {
  const canonical = script
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
