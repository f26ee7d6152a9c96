export * from './keys.ts';
export * from './vote-store.ts';
export * from './outbox.ts';
export * from './rebuild.ts';
export * from './rankings-publisher.ts';
export * from './redis.ts';
export * from './replica-acks.ts';
export * from './reconcile.ts';
