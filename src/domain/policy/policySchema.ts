import { z } from 'zod';
import { parsePasswordHash } from './passwordHashFormat.js';
import { DEFAULT_SETTINGS, RISKS, ROLES, RULE_ACTIONS } from './policy.js';

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'must be letters, digits, _ . @ - (starting with a letter or digit)');

const idList = z.array(id);
const oneOrMany = z.union([id, idList]).transform((v) => (typeof v === 'string' ? [v] : v));

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Paris');

const sshPublicKey = z
  .string()
  .regex(/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[\w@.-]+) [A-Za-z0-9+/=]+( .*)?$/, 'must be an OpenSSH public key line');

const user = z.strictObject({
  // Audit records name changeguard itself `system` (scheduled steps, the proxy, POLICY_FILE).
  id: id.refine((value) => value !== 'system', 'is reserved: changeguard itself acts as "system"'),
  slack: z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id like U01ABCDEF').optional(),
  name: z.string().min(1).max(200).optional(),
  roles: z.array(z.enum(ROLES)).default(['requester']),
  sshKeys: z.array(sshPublicKey).default([]),
  passwordHash: z
    .string()
    .max(300, 'is too long for a password hash')
    .superRefine((text, ctx) => {
      const parsed = parsePasswordHash(text);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    })
    .optional(),
});

const group = z.strictObject({
  id,
  members: idList.default([]),
  approvers: idList.min(1),
  approvals: z.number().int().min(1).max(20).default(1),
  devices: idList.default([]),
  channel: z.string().regex(/^[CG][A-Z0-9]+$/, 'must be a Slack channel id like C01ABCDEF').optional(),
});

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');
const credential = z.union([
  z.strictObject({ privateKeyFile: z.string().min(1), passphraseEnv: envName.optional() }),
  z.strictObject({ passwordEnv: envName }),
]);

const device = z.strictObject({
  id,
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).max(64),
  credential,
  hostKey: sshPublicKey.optional(),
});

const rule = z
  .strictObject({
    id,
    command: oneOrMany.optional(),
    pattern: z.string().min(1).max(2000).optional(),
    action: z.enum(RULE_ACTIONS),
    risk: z.enum(RISKS).default('low'),
    attempts: z.number().int().min(1).max(100).default(1),
    lockAfter: z.number().int().min(1).max(1000).optional(),
    scope: z
      .strictObject({ groups: idList.optional(), devices: idList.optional(), users: idList.optional() })
      .optional(),
    message: z.string().max(500).optional(),
  })
  .refine((r) => r.command !== undefined || r.pattern !== undefined, {
    message: 'needs "command", "pattern" or both',
  });

/** A wall time in the freeze's zone: a day (`2026-12-20`), or a day and a time (`2026-12-20 18:00`). */
export const FREEZE_TIME_PATTERN = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}))?$/;
const freezeTime = z
  .string()
  .regex(FREEZE_TIME_PATTERN, 'must be a date like 2026-12-20 or a date and time like "2026-12-20 18:00"')
  .superRefine((text, ctx) => {
    const [, day, time] = FREEZE_TIME_PATTERN.exec(text) ?? [];
    if (day === undefined) return;
    const at = new Date(`${day}T${time ?? '00:00'}:00Z`);
    const real = !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === day && (time === undefined || at.toISOString().slice(11, 16) === time);
    if (!real) ctx.addIssue({ code: 'custom', message: `is not a real date and time, got ${JSON.stringify(text)}` });
  });

const freeze = z
  .strictObject({
    id,
    from: freezeTime,
    to: freezeTime,
    timezone: timezone.optional(),
    devices: idList.optional(),
    groups: idList.optional(),
    reason: z.string().trim().min(1, 'is required: say why changes are frozen').max(500),
  })
  .refine((f) => (f.devices?.length ?? 0) + (f.groups?.length ?? 0) > 0, {
    message: 'needs "devices", "groups" or both: the servers the freeze covers',
  });

const channelId = z.string().regex(/^[CG][A-Z0-9]+$/, 'must be a Slack channel id like C01ABCDEF');

export const policyDocumentSchema = z.strictObject({
  users: z.array(user).optional(),
  groups: z.array(group).optional(),
  devices: z.array(device).optional(),
  rules: z.array(rule).optional(),
  freezes: z.array(freeze).optional(),
  channels: z
    .strictObject({ approvals: channelId.optional(), security: channelId.optional(), audit: channelId.optional() })
    .optional(),
  settings: z
    .strictObject({
      opaque: z.enum(['block', 'allow']).default(DEFAULT_SETTINGS.opaque),
      timezone: timezone.default(DEFAULT_SETTINGS.timezone),
      requireWebApproval: z.enum(RISKS).optional(),
      fileTransfer: z.enum(['refuse', 'allow']).optional(),
    })
    .optional(),
});

export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;
