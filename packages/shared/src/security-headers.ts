import { createHash } from 'node:crypto';

/**
 * The response headers every page of the site carries, defined once for both places that serve
 * the SPA: the api (single-machine mode, through helmet) and nginx (nginx/render.ts).
 * Server-only (node:crypto): imported as `@llmpt/shared/security-headers`, never by the browser.
 */

/** CSP directives, with the inline scripts of the page allowed by hash (and nothing else inline). */
export function cspDirectives(inlineScriptHashes: readonly string[]): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...inlineScriptHashes.map((h) => `'${h}'`)],
    // React and uPlot set styles through the CSSOM, which CSP does not restrict.
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    // 'self' covers ws:/wss: to the same host (CSP Level 3).
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
}

/** The header value, formatted as helmet formats it (so the api's and nginx's are identical). */
export function cspHeader(inlineScriptHashes: readonly string[]): string {
  return Object.entries(cspDirectives(inlineScriptHashes))
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join(';');
}

/** `sha256-…` of every inline `<script>` (one without `src`) in an HTML page, in order. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? '')) continue;
    hashes.push(
      `sha256-${createHash('sha256')
        .update(m[2] ?? '', 'utf8')
        .digest('base64')}`,
    );
  }
  return hashes;
}

/**
 * Headers besides CSP and HSTS, the same on every response: what helmet sends as the
 * api configures it (apps/api/src/app.ts; a test compares the two), and what nginx adds.
 */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};

/** Sent only on responses that came over TLS: a plain-HTTP deployment must not be pinned to it. */
export const HSTS_HEADER = 'max-age=31536000; includeSubDomains';
