import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of the SPA built for this run (served by the api as WEB_DIST). */
    webDist: string;
  }
}
