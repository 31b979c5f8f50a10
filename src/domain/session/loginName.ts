import { CHANGE_CODE_PATTERN, normaliseChangeCode } from '../change/changeCode.js';

/** What the SSH login name selects: `alice`, `alice+CHG-42` or `alice+CHG-42+web01`. */
export interface LoginName {
  readonly user: string;
  readonly changeCode?: string | undefined;
  readonly device?: string | undefined;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export type LoginNameResult = { readonly ok: true; readonly login: LoginName } | { readonly ok: false; readonly message: string };

/**
 * Splits a login name on `+`. Policy ids cannot contain `+`, so the split is unambiguous; the
 * change code is case-insensitive (`chg-42` is CHG-42), user and device ids are not.
 */
export function parseLoginName(name: string): LoginNameResult {
  const parts = name.split('+');
  if (parts.length > 3) return { ok: false, message: `login name "${name}" has more than three parts (user+CHANGE+server)` };
  const [user = '', code, device] = parts;
  if (!ID.test(user)) return { ok: false, message: `login name "${name}": "${user}" is not a user id` };
  if (code === undefined) return { ok: true, login: { user } };
  const changeCode = normaliseChangeCode(code);
  if (!CHANGE_CODE_PATTERN.test(changeCode)) return { ok: false, message: `login name "${name}": "${code}" is not a change code like CHG-42` };
  if (device === undefined) return { ok: true, login: { user, changeCode } };
  if (!ID.test(device)) return { ok: false, message: `login name "${name}": "${device}" is not a server id` };
  return { ok: true, login: { user, changeCode, device } };
}

export function formatLoginName(login: LoginName): string {
  return [login.user, login.changeCode, login.device].filter((part) => part !== undefined).join('+');
}
