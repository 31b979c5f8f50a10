import type { Audience } from './catalogue.js';

/** An audience as one string (`role:security`, `user:bob`, `channel:C01ABC`): stored and filtered on. */
export function audienceKey(audience: Audience): string {
  if ('role' in audience) return `role:${audience.role}`;
  if ('user' in audience) return `user:${audience.user}`;
  if ('requestCopies' in audience) return `copies:${audience.requestCopies}`;
  return `channel:${audience.slackChannel}`;
}

export function parseAudienceKey(key: string): Audience | null {
  const [kind, ...rest] = key.split(':');
  const value = rest.join(':');
  if (!value) return null;
  if (kind === 'role' && (value === 'approvals' || value === 'security' || value === 'audit')) return { role: value };
  if (kind === 'user') return { user: value };
  if (kind === 'channel') return { slackChannel: value };
  if (kind === 'copies') return { requestCopies: value };
  return null;
}
