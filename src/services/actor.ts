/** Who asks, and from where: every audit record names both. */
export interface Actor {
  /** Policy user id, or `system` for changeguard itself, or the operator's name for the CLI. */
  readonly userId: string;
  /** `slack U01ABC`, `web 10.0.0.7`, `cli`, `proxy 10.0.0.9`, `scheduler`. */
  readonly terminal: string;
  /**
   * `system`: changeguard itself (the scheduler, the proxy, POLICY_FILE at start).
   * `operator`: someone holding the store (the CLI, which opens the database directly).
   * Absent: a person of the policy, whose roles and relations the authorisation table reads.
   */
  readonly kind?: 'system' | 'operator' | undefined;
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', terminal: 'scheduler', kind: 'system' };

/** changeguard itself, acting from `terminal` (`proxy`, `policy file`). */
export function systemActor(terminal: string): Actor {
  return { userId: 'system', terminal, kind: 'system' };
}
