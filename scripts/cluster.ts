/**
 * `npm run cluster -- up|down|status`: the production topology on this machine, on loopback
 * (nginx, api ×N, worker ×M, PgBouncer, Postgres primary + streaming replica, Redis primary +
 * replica + three Sentinels). See tooling/cluster/src/cli.ts for the flags, and
 * docs/operations.md ("Running the topology").
 */
import '@llmpt/cluster/cli';
