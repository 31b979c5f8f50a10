import { ShellParser } from '../../src/domain/shell/shellParser.js';

let loading: Promise<ShellParser> | undefined;

/** The grammar is loaded once per test file. */
export function sharedParser(): Promise<ShellParser> {
  loading ??= ShellParser.load();
  return loading;
}
