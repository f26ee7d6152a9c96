// CLI: `npm run seed -w @llmpt/db` upserts the model catalogue; safe to run repeatedly.
import { createDb } from './client.ts';
import { dbEnv } from './env.ts';
import { seedLlms } from './seeder.ts';

async function main(): Promise<void> {
  const db = createDb(dbEnv().DATABASE_URL, { max: 1, applicationName: 'llmpt-seed' });
  try {
    const r = await seedLlms(db);
    const { count } = await db
      .selectFrom('llms')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    console.log(
      `seed: ${r.models} models (${r.inserted} inserted, ${r.updated} updated, ` +
        `${r.models - r.inserted - r.updated} unchanged); ${count} models in the catalogue`,
    );
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`seed: failed: ${message}`);
  if (/relation "llms" does not exist/.test(message))
    console.error('seed: run the migrations first');
  process.exitCode = 1;
});
