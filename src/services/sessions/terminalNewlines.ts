import { StringDecoder } from 'node:string_decoder';
import { Transform } from 'node:stream';
import { withCarriageReturns } from '../../domain/session/asciicastLine.js';

/**
 * An exec session (`ssh proxy 'cmd'`) has no terminal: the device's program writes bare line
 * feeds, which a terminal's line discipline would have turned into CR LF. Replayed as recorded,
 * every line would start where the previous one ended (a staircase). This rewrites the output
 * events of an asciicast v2 recording as a terminal would have shown them: each LF not already
 * after a CR gets one. The header, input and resize events pass unchanged, and so does a line
 * that is not a well-formed event (the player reports it, as it would have).
 */
export function withTerminalNewlines(): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let previousWasCr = false;

  const rewrite = (line: string): string => {
    if (!line.startsWith('[')) return line;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      return line;
    }
    if (!Array.isArray(event) || event[1] !== 'o' || typeof event[2] !== 'string') return line;
    const shown = withCarriageReturns(event[2], previousWasCr);
    previousWasCr = shown.previousWasCr;
    return JSON.stringify([event[0], 'o', shown.data]);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      done(null, lines.map((line) => `${rewrite(line)}\n`).join(''));
    },
    flush(done) {
      pending += decoder.end();
      done(null, pending === '' ? '' : rewrite(pending));
    },
  });
}
