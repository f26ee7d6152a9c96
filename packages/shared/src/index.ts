export * from './constants.ts';
export * from './schemas/llm.schema.ts';
export * from './schemas/vote.schema.ts';
export * from './schemas/rankings.schema.ts';
export * from './wilson.ts';
export * from './schemas/live.schema.ts';
export * from './rankings.ts';
export * from './env.ts';
