/**
 * Polls until `check` returns something other than undefined/false, or fails after the
 * deadline with `what` in the message. For conditions reached on real time (Agenda's
 * timers); never a fixed sleep.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value as Exclude<T, false | undefined | null>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 20));
  }
}
