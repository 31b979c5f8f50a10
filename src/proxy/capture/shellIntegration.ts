import { randomBytes } from 'node:crypto';

/**
 * Shell integration for interactive sessions: the upstream shell is started as
 * `bash --rcfile <script> -i`, with the script passed on a here-document, so nothing is typed
 * into the user's terminal. After the usual login files, the script makes bash mark its
 * prompts with OSC 133 (A prompt start, B input start, C command start from PS0, D exit
 * status from PROMPT_COMMAND), each carrying this session's nonce. PROMPT_COMMAND and PS0
 * are read-only and exported, so the user cannot drop them by accident and nested bash
 * shells mark their prompts too; PROMPT_COMMAND re-wraps PS1/PS2 if something rewrites them.
 *
 * After printing D, the shell waits for the proxy's acknowledgement and discards what the
 * terminal holds before it (type-ahead sent while the last command ran). From then on the
 * proxy holds input until the prompt is drawn, so every line the shell reads at a prompt
 * was typed at that prompt and judged there.
 */
export interface ShellIntegration {
  readonly nonce: string;
  /** The exec command that starts the marked shell. */
  readonly command: string;
  /** What the proxy sends upstream after each D marker. */
  readonly ack: Buffer;
}

/**
 * Bash lines that keep a prompt wrapped in the A and B markers, with B its very end: the
 * proxy reads the typed line from B onwards, so anything a rewritten prompt printed after B
 * (`PS1="${PS1}echo "`) would be read as typed and judged instead of what the shell runs.
 * A prompt that does not end with B loses its markers and is wrapped again.
 */
function markPrompt(name: 'PS1' | 'PS2', start: string, end: string): string {
  return `case $${name} in *'${end}') ;; *) ${name}=\${${name}//'${start}'/}; ${name}=\${${name}//'${end}'/}; ${name}="${start}$${name}${end}";; esac`;
}

export function shellIntegration(nonce: string = randomBytes(8).toString('hex')): ShellIntegration {
  if (!/^[0-9a-f]{8,32}$/.test(nonce)) throw new Error('the shell-integration nonce must be hex');
  const marker = (body: string) => `\\033]133;${body};cg=${nonce}\\007`;
  const promptCommand = [
    '__cg_s=$?',
    `printf "${marker('D;%s')}" "$__cg_s"`,
    '__cg_j=',
    `while IFS= read -r -s -t 5 -n 65536 -d "$__cg_bel" __cg_p; do __cg_j+=$__cg_p; case $__cg_j in *cgack${nonce}) break;; esac; done`,
    'unset __cg_j __cg_p',
    'if [ -n "$__cg_pc" ]; then eval "$__cg_pc"; fi',
    markPrompt('PS1', `\\[${marker('A')}\\]`, `\\[${marker('B')}\\]`),
    markPrompt('PS2', `\\[${marker('A;k=2')}\\]`, `\\[${marker('B;k=2')}\\]`),
  ].join('\n');
  const script = [
    '# changeguard: login files, then prompt markers (see the proxy documentation)',
    'if [ -r /etc/profile ]; then . /etc/profile; fi',
    'for __cg_f in ~/.bash_profile ~/.bash_login ~/.profile; do if [ -r "$__cg_f" ]; then . "$__cg_f"; break; fi; done',
    'unset __cg_f',
    "__cg_bel=$'\\a'",
    '__cg_pc=${PROMPT_COMMAND-}',
    `PROMPT_COMMAND='${promptCommand.replaceAll("'", "'\\''")}'`,
    `PS0=$'\\e]133;C;cg=${nonce}\\a'`,
    'export PROMPT_COMMAND PS0 __cg_bel __cg_pc',
    'readonly PROMPT_COMMAND PS0 __cg_bel __cg_pc',
    'exec 9<&-',
  ].join('\n');
  const terminator = `__CHANGEGUARD_RC_${nonce}__`;
  return {
    nonce,
    command: `exec bash --rcfile /dev/fd/9 -i 9<<'${terminator}'\n${script}\n${terminator}\n`,
    ack: Buffer.from(`cgack${nonce}\x07`, 'latin1'),
  };
}
