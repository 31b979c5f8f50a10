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
 * printable text, backspace, Ctrl-U; Enter submits; Ctrl-C or Ctrl-D cancels. What was
 * typed after the Enter (type-ahead, a paste) is kept for whoever reads next.
 */
export class TerminalLineReader {
  /** Bytes received after the last line was submitted. */
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly channel: ServerChannel) {}

  async read(prompt: string, options: { maxLength?: number } = {}): Promise<string> {
    const { line, rest } = await readTerminalLine(this.channel, prompt, this.pending, options);
    this.pending = rest;
    return line;
  }

  /** Type-ahead left over: the session's first input. */
  takeRest(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }
}

function readTerminalLine(
  channel: ServerChannel,
  prompt: string,
  initial: Buffer,
  options: { maxLength?: number },
): Promise<{ line: string; rest: Buffer }> {
  const maxLength = options.maxLength ?? 500;
  channel.write(prompt);
  return new Promise((resolve, reject) => {
    let line = '';
    let escape = false;
    const finish = (outcome: () => void) => {
      channel.removeListener('data', onData);
      channel.removeListener('close', onClose);
      // Hold further input in the channel until the next reader (or the relay) takes it.
      channel.pause();
      outcome();
    };
    const onClose = () => finish(() => reject(new PromptCancelled()));
    const onData = (data: Buffer) => {
      let offset = 0;
      for (const char of data.toString('utf8')) {
        offset += Buffer.byteLength(char);
        const code = char.codePointAt(0)!;
        if (escape) {
          if (code >= 0x40 && code <= 0x7e && char !== '[' && char !== 'O') escape = false;
          continue;
        }
        if (char === '\r' || char === '\n') {
          channel.write('\r\n');
          finish(() => resolve({ line, rest: Buffer.from(data.subarray(offset)) }));
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
    channel.resume();
    if (initial.length > 0) onData(initial);
  });
}
