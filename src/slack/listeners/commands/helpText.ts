/** `/change help`. */
export const HELP_TEXT = [
  '*changeguard* — controlled changes on critical servers',
  '`/change new` file a change (opens a form)',
  '`/change list` my open changes and those waiting for my approval',
  '`/change show CHG-42` details of a change',
  '`/change cancel CHG-42 [reason]` withdraw your change before it starts',
  '`/change revoke CHG-42 <reason>` (approvers) withdraw an approved change; live sessions are cut',
  '`/change validate CHG-42` preflight: which script lines the rules would block or interrupt',
  '`/change audit CHG-42` auditor summary: outcome, executed / missing / extra / blocked, sessions',
  '`/change search <words> [user:alice] [server:web01] [change:CHG-42] [verdict:refused] [since:7d] [until:2026-11-30]` executed and blocked commands (your own sessions; auditors, security and admins: all)',
  '`/change report [--since 7d]` (auditors, security) period summary',
  '`/change report schedule list|add|update|remove ...` (admins, auditors) scheduled reports',
  '`/change key add <ssh public key>` · `/change key list` · `/change key remove SHA256:...` your SSH keys for the proxy',
].join('\n');
