import { pino } from 'pino';
import type { Logger } from '../../src/logger.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory for assertions. */
export function recordingLogger(): { logger: Logger; lines: LogLine[]; messages: (msg: string) => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, messages: (msg) => lines.filter((l) => l.msg === msg) };
}
