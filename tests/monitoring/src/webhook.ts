import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert of Alertmanager's webhook payload (version 4). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/** One notification as received: which path (receiver) it came to, and when. */
export interface Notification {
  path: string;
  receivedAt: number;
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
}

/**
 * An HTTP server standing in for a pager: records every notification Alertmanager POSTs, and
 * lets a test wait for one that matches.
 */
export async function webhookReceiver() {
  const received: Notification[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const payload = JSON.parse(body) as Omit<Notification, 'path' | 'receivedAt'>;
      received.push({ ...payload, path: req.url ?? '', receivedAt: Date.now() });
      res.writeHead(200).end();
      for (const wake of waiters) wake();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Resolves with the first alert (and its notification) that `match` accepts. */
    waitFor(
      what: string,
      match: (alert: WebhookAlert, n: Notification) => boolean,
      timeoutMs: number,
    ): Promise<{ alert: WebhookAlert; notification: Notification }> {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const n of received)
            for (const alert of n.alerts)
              if (match(alert, n)) {
                waiters.delete(check);
                clearTimeout(timer);
                resolve({ alert, notification: n });
                return;
              }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = received.flatMap((n) =>
            n.alerts.map((a) => `${n.path} ${a.status} ${a.labels.alertname}`),
          );
          reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${seen.join('; ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
