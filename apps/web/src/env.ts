/**
 * The browser build's configuration, in one place. Nothing in it varies by deployment yet, so
 * there is no `import.meta.env` to validate: the API is always same-origin at `/trpc` (the api
 * serves this build in single-machine mode, nginx routes it in production, `vite dev` proxies
 * it), which also keeps the voter cookie first-party.
 */
export const env = {
  trpcUrl: '/trpc',
} as const;
