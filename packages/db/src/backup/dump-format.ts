/**
 * The dump file: gzip of
 *
 *   "LLMPTDUMP 1\n" <header JSON> "\n"
 *   for each table, in header order: one or more frames <u32 big-endian length><COPY bytes>,
 *   then a frame of length 0
 *
 * where the COPY bytes are the table's `COPY (cols) TO STDOUT (FORMAT binary)`. Binary COPY is
 * exact for every type and needs the same column types on the way back in, which restoring into
 * the same migrations guarantees (the header names them).
 */
export const DUMP_MAGIC = 'LLMPTDUMP 1';

export interface DumpTable {
  name: string;
  columns: string[];
}

export interface DumpHeader {
  format: 'llmpt-dump';
  version: 1;
  /** When the snapshot was taken (the server's clock). */
  takenAt: string;
  serverVersion: string;
  database: string;
  /** The snapshot the data was read in (pg_current_snapshot()), for the record. */
  snapshot: string;
  /** Applied migrations, in order: the schema the data belongs to. */
  migrations: string[];
  /** Referenced tables before the tables that reference them. */
  tables: DumpTable[];
  /** Monthly partitions of user_votes at the time (`user_votes_pYYYYMM`). */
  partitions: string[];
}

/** Reads a stream as lines and exact-length blocks (the dump's framing). */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Buffer>;
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  private async fill(min: number): Promise<boolean> {
    while (this.buffered.length < min && !this.ended) {
      const next = await this.chunks.next();
      if (next.done) this.ended = true;
      else this.buffered = Buffer.concat([this.buffered, next.value]);
    }
    return this.buffered.length >= min;
  }

  /** The next line without its newline; throws past `maxBytes` or at the end of the stream. */
  async line(maxBytes: number): Promise<string> {
    for (;;) {
      const nl = this.buffered.indexOf(0x0a);
      if (nl >= 0) {
        const text = this.buffered.subarray(0, nl).toString('utf8');
        this.buffered = this.buffered.subarray(nl + 1);
        return text;
      }
      if (this.buffered.length > maxBytes) throw new Error('not a dump file (no header line)');
      if (!(await this.fill(this.buffered.length + 1))) throw new Error('dump file ends early');
    }
  }

  async exact(n: number): Promise<Buffer> {
    if (!(await this.fill(n))) throw new Error('dump file ends early (truncated?)');
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** True when the stream has nothing left (read to its end, so gzip checked its CRC). */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** The frames of one table, up to its 0-length end frame. */
  async *frames(): AsyncGenerator<Buffer> {
    for (;;) {
      const length = (await this.exact(4)).readUInt32BE(0);
      if (length === 0) return;
      yield await this.exact(length);
    }
  }
}

export function frame(chunk: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(chunk.length, 0);
  return Buffer.concat([head, chunk]);
}

export const END_FRAME = Buffer.alloc(4);
