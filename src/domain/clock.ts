/** The domain never reads the system clock: callers pass "now" so tests control time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
