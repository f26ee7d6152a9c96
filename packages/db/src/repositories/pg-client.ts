import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * One plain pg connection for COPY streams, which Kysely does not expose, closed after `fn`.
 * Backups and partition archives use it; everything else goes through Kysely.
 */
export async function withPgClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  applicationName = 'llmpt-maintenance',
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `COPY … TO STDOUT` as a readable stream of the server's bytes. */
export function copyOut(client: pg.Client, statement: string): NodeJS.ReadableStream {
  return client.query(copyTo(statement));
}

/** `COPY … FROM STDIN` as a writable stream; it finishes once the server has the rows. */
export function copyIn(client: pg.Client, statement: string): NodeJS.WritableStream {
  return client.query(copyFrom(statement));
}
