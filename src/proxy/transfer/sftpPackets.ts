/**
 * Just enough of the SFTP protocol (version 3, as OpenSSH speaks it) to see what a client
 * asks of the server: requests are framed (uint32 length, byte type, uint32 id...) and the
 * ones that read or change files are named as commands the rules judge (`sftp put /path`).
 */

export const SSH_FXP_INIT = 1;
const OPEN = 3;
const SETSTAT = 9;
const REMOVE = 13;
const MKDIR = 14;
const RMDIR = 15;
const RENAME = 18;
const SYMLINK = 20;
const EXTENDED = 200;
const STATUS = 101;
const FX_PERMISSION_DENIED = 3;

const PF_READ = 0x01;
const PF_WRITE = 0x02;
const PF_APPEND = 0x04;
const PF_CREAT = 0x08;
const PF_TRUNC = 0x10;

/** Largest packet accepted: OpenSSH's own limit is 256 KiB of data plus headers. */
export const MAX_PACKET = 1 << 20;

export interface SftpRequest {
  readonly type: number;
  readonly id: number | undefined;
  /** The whole packet, length prefix included, as it goes on to the server. */
  readonly packet: Buffer;
  /** The operation as a command for the rules (`sftp put '/etc/x'`), or undefined for reads of metadata. */
  readonly command: string | undefined;
}

/** Cuts the client's byte stream into packets. */
export class SftpFramer {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SftpRequest[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const requests: SftpRequest[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length < 1 || length > MAX_PACKET) throw new Error(`an SFTP packet of ${length} bytes is not one changeguard accepts`);
      if (this.buffered.length < 4 + length) break;
      const packet = this.buffered.subarray(0, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      requests.push(parseRequest(Buffer.from(packet)));
    }
    return requests;
  }
}

class Reader {
  private offset: number;
  constructor(
    private readonly packet: Buffer,
    start: number,
  ) {
    this.offset = start;
  }
  uint32(): number {
    const value = this.packet.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  string(): string {
    const length = this.uint32();
    if (this.offset + length > this.packet.length) throw new Error('an SFTP string runs past its packet');
    const value = this.packet.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

function quote(path: string): string {
  return `'${path.replace(/'/g, "'\\''")}'`;
}

export function parseRequest(packet: Buffer): SftpRequest {
  const type = packet.readUInt8(4);
  if (type === SSH_FXP_INIT) return { type, id: undefined, packet, command: undefined };
  const reader = new Reader(packet, 5);
  const id = packet.length >= 9 ? reader.uint32() : undefined;
  let command: string | undefined;
  try {
    switch (type) {
      case OPEN: {
        const path = reader.string();
        const flags = reader.uint32();
        const writes = (flags & (PF_WRITE | PF_APPEND | PF_CREAT | PF_TRUNC)) !== 0;
        command = writes ? `sftp put ${quote(path)}` : flags & PF_READ ? `sftp get ${quote(path)}` : `sftp open ${quote(path)}`;
        break;
      }
      case SETSTAT:
        command = `sftp setstat ${quote(reader.string())}`;
        break;
      case REMOVE:
        command = `sftp rm ${quote(reader.string())}`;
        break;
      case MKDIR:
        command = `sftp mkdir ${quote(reader.string())}`;
        break;
      case RMDIR:
        command = `sftp rmdir ${quote(reader.string())}`;
        break;
      case RENAME:
        command = `sftp rename ${quote(reader.string())} ${quote(reader.string())}`;
        break;
      case SYMLINK:
        command = `sftp symlink ${quote(reader.string())} ${quote(reader.string())}`;
        break;
      case EXTENDED: {
        const name = reader.string();
        if (name === 'posix-rename@openssh.com') command = `sftp rename ${quote(reader.string())} ${quote(reader.string())}`;
        else if (name === 'hardlink@openssh.com') command = `sftp ln ${quote(reader.string())} ${quote(reader.string())}`;
        else if (name === 'lsetstat@openssh.com') command = `sftp setstat ${quote(reader.string())}`;
        else if (!['statvfs@openssh.com', 'fstatvfs@openssh.com', 'fsync@openssh.com', 'limits@openssh.com', 'expand-path@openssh.com', 'home-directory', 'users-groups-by-id@openssh.com'].includes(name)) {
          command = `sftp extended ${quote(name)}`;
        }
        break;
      }
      default:
        break;
    }
  } catch {
    command = 'sftp malformed-request';
  }
  return { type, id, packet, command };
}

/** The answer that refuses request `id`: SSH_FXP_STATUS, permission denied, with `message`. */
export function permissionDenied(id: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const lang = Buffer.from('en', 'utf8');
  const length = 1 + 4 + 4 + 4 + text.length + 4 + lang.length;
  const packet = Buffer.alloc(4 + length);
  let at = packet.writeUInt32BE(length, 0);
  at = packet.writeUInt8(STATUS, at);
  at = packet.writeUInt32BE(id, at);
  at = packet.writeUInt32BE(FX_PERMISSION_DENIED, at);
  at = packet.writeUInt32BE(text.length, at);
  at += text.copy(packet, at);
  at = packet.writeUInt32BE(lang.length, at);
  lang.copy(packet, at);
  return packet;
}
