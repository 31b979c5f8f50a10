import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../domain/audit/canonicalJson.js';
import type { PolicyGroup } from '../../domain/policy/policy.js';
import { MAX_SCRIPT_BYTES } from '../../services/changes/changeInput.js';
import type { DraftValidation } from '../../services/changes/validateChange.js';
import { wallTimeToDate } from '../../domain/time/wallTime.js';
import { plannedScriptView } from './scriptView.js';

/**
 * The change form's fields, shared by "New change" and "Edit": the Slack modal's fields, with
 * the window as `datetime-local` wall times in the policy's zone. Lengths are bounded here only
 * so a hostile form cannot make the server work hard; the real rules are the services'.
 */
const text = (max: number) => z.string().max(max, `keep it under ${max} characters`);
/** Several servers arrive as a repeated field; one as a plain string; none as nothing. */
export const devicesField = z
  .union([z.string().max(64), z.array(z.string().max(64)).max(100, 'choose at most 100 servers')])
  .optional()
  .transform((v) => (v === undefined ? [] : typeof v === 'string' ? [v] : v));

/** UTF-8 bytes may take three characters each in a form body; the service counts the real limit. */
export const scriptField = z.string().max(MAX_SCRIPT_BYTES * 2, `is larger than ${MAX_SCRIPT_BYTES / 1024} KiB`);

export const changeFormFields = {
  code: text(42).optional(),
  title: text(400),
  description: text(8000).optional(),
  windowStart: text(40),
  windowEnd: text(40),
  group: text(64),
  devices: devicesField,
  /** Group members named to carry the change out with the requester (new changes only). */
  executors: devicesField,
  script: scriptField,
  /** The "Emergency" box: `yes` when ticked, absent when not. */
  emergency: z.literal('yes').optional(),
  /** `check` shows the preflight; `file` files (only the draft that was checked). */
  intent: z.enum(['check', 'file']),
  /** Fingerprint of the draft the preflight was shown for. */
  checked: z.string().regex(/^([0-9a-f]{64})?$/, 'expected the fingerprint of the checked form').optional(),
};

/** A wall time in the policy's zone, or an invalid date the service refuses as "is not a date". */
export function formDate(value: string, timezone: string): Date {
  return wallTimeToDate(value.trim(), timezone) ?? new Date(Number.NaN);
}

/**
 * What the preflight was shown for: filing is offered only for that exact draft, so a change
 * to any field after the check shows the preflight again before anything is filed.
 */
export function draftFingerprint(draft: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(canonicalJson(draft)).digest('hex');
}

/** The groups a form offers, each with its servers and its other members (possible executors), the chosen ones ticked. */
export function groupChoices(groups: readonly PolicyGroup[], selectedGroup: string, selectedDevices: readonly string[], options: { requester?: string; executors?: readonly string[] } = {}) {
  return groups.map((g) => ({
    id: g.id,
    selected: g.id === selectedGroup,
    devices: g.devices.map((d) => ({ id: d, value: d, checked: g.id === selectedGroup && selectedDevices.includes(d), inputId: `device-${g.id}-${d}` })),
    members: g.members
      .filter((m) => m !== options.requester)
      .map((m) => ({ id: m, value: m, checked: g.id === selectedGroup && (options.executors ?? []).includes(m), inputId: `executor-${g.id}-${m}` })),
  }));
}

/** The preflight as the page shows it: findings per line, the script with each line's risk. */
export function preflightView(script: string, validation: DraftValidation) {
  return {
    linesChecked: validation.linesChecked,
    findings: validation.findings.map((f) => ({ ...f, devices: f.devices.join(', '), rules: f.ruleIds.join(', ') })),
    risk: validation.webApproval.risk,
    webApprovalRequired: validation.webApproval.required,
    codeTaken: validation.codeTaken,
    script: plannedScriptView(script, validation.webApproval.lines),
  };
}
