/** Who asks, and from where: every audit record names both. */
export interface Actor {
  /** Policy user id, or `system` for scheduled jobs. */
  readonly userId: string;
  /** `slack`, `web 10.0.0.7`, `cli`, `proxy 10.0.0.9`, `scheduler`. */
  readonly terminal: string;
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', terminal: 'scheduler' };
