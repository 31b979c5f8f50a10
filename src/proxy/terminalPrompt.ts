import type { ServerChannel } from 'ssh2';

/** The user closed the prompt (Ctrl-C, Ctrl-D, or the channel went away). */
export class PromptCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'PromptCancelled';
  }
}

/**
 * Reads one line from the user's terminal before any server is involved (menu choice,
 * justification). The client's terminal is in raw mode, so the proxy echoes and edits:
 * printable text, backspace, Ctrl-U; Enter submits; Ctrl-C or Ctrl-D cancels.
 */
export function readTerminalLine(channel: ServerChannel, prompt: string, options: { maxLength?: number } = {}): Promise<string> {
  const maxLength = options.maxLength ?? 500;
  channel.write(prompt);
  return new Promise((resolve, reject) => {
    let line = '';
    let escape = false;
    const finish = (outcome: () => void) => {
      channel.removeListener('data', onData);
      channel.removeListener('close', onClose);
      outcome();
    };
    const onClose = () => finish(() => reject(new PromptCancelled()));
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        const code = char.codePointAt(0)!;
        if (escape) {
          if (code >= 0x40 && code <= 0x7e && char !== '[' && char !== 'O') escape = false;
          continue;
        }
        if (char === '\r' || char === '\n') {
          channel.write('\r\n');
          finish(() => resolve(line));
          return;
        }
        if (code === 0x03 || code === 0x04) {
          channel.write('^C\r\n');
          finish(() => reject(new PromptCancelled()));
          return;
        }
        if (code === 0x1b) {
          escape = true;
        } else if (code === 0x7f || code === 0x08) {
          if (line.length > 0) {
            line = [...line].slice(0, -1).join('');
            channel.write('\b \b');
          }
        } else if (code === 0x15) {
          channel.write('\b \b'.repeat([...line].length));
          line = '';
        } else if (code >= 0x20 && [...line].length < maxLength) {
          line += char;
          channel.write(char);
        }
      }
    };
    channel.on('data', onData);
    channel.once('close', onClose);
  });
}
