import { z } from 'zod';
import { CHANGE_CODE_PATTERN, normaliseChangeCode } from '../../domain/change/changeCode.js';

export const changeCodeParam = z.strictObject({
  code: z
    .string()
    .transform(normaliseChangeCode)
    .pipe(z.string().regex(CHANGE_CODE_PATTERN, 'expected a change code such as CHG-42')),
});

export const sessionIdParam = z.strictObject({
  id: z.string().regex(/^[\w.:-]{1,100}$/, 'expected a session id'),
});

export const userIdParam = z.strictObject({
  user: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'expected a policy user id'),
});
