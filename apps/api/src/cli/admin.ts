// CLI: `npm run admin:create|admin:passwd|admin:disable -- --user NAME` (see admin-cli.ts).
import { runAdminCli } from './admin-cli.ts';

runAdminCli(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`admin: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
