/** Who asks, and from where: every audit record names both. */
export interface Actor {
  /** Policy user id, or `system` for scheduled jobs. */
  readonly userId: string;
  /** `slack`, `web 10.0.0.7`, `cli`, `proxy 10.0.0.9`, `scheduler`. */
  readonly terminal: string;
  /**
   * `system`: changeguard itself (the scheduler, the proxy, POLICY_FILE at start).
   * `operator`: someone holding the store (the CLI, which opens the database directly).
   * Absent: a person of the policy, whose roles decide what they may do.
   */
  readonly kind?: 'system' | 'operator' | undefined;
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', terminal: 'scheduler' };
