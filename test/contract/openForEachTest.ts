import { afterEach, beforeEach } from 'vitest';

/**
 * Opens a fresh store (or repository) before each test of the enclosing describe, hands it to
 * `use`, and cleans it up after the test: every contract suite starts from an empty database.
 */
export function openForEachTest<T extends { cleanup(): Promise<void> }>(open: () => Promise<T>, use: (opened: T) => void): void {
  let opened: T | undefined;
  beforeEach(async () => {
    opened = await open();
    use(opened);
  });
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });
}
