// CLI: `npm run db:restore -- BACKUP [--target URL] [--force] [--redis]`. See restore-cli.ts.
import { runRestoreCli } from './restore-cli.ts';

runRestoreCli(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`db:restore: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
