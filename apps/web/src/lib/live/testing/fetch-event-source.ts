/**
 * A small EventSource on top of fetch, for tests: Node 20 has no EventSource and the
 * `eventsource` package isn't installed. It follows the parts of the HTML spec that
 * `httpSubscriptionLink` relies on: named events, `id` → `lastEventId`, reconnecting after a
 * network error or the end of the stream (readyState CONNECTING + an `error` event, then
 * `Last-Event-ID` on the next request), and failing for good (CLOSED + `error`) on a non-200
 * answer or another content type.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
export class FetchEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  /** Reconnection delay; the spec leaves the default to the browser (~3 s), tests want less. */
  static retryMs = 50;

  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readonly url: string;
  readonly withCredentials = false;
  readyState = 0;
  private lastEventId = '';
  private readonly aborter = new AbortController();

  constructor(url: string | URL) {
    super();
    this.url = String(url);
    void this.connect();
  }

  close(): void {
    this.readyState = this.CLOSED;
    this.aborter.abort();
  }

  private async connect(): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    let res: Response;
    try {
      res = await fetch(this.url, { headers, signal: this.aborter.signal });
    } catch {
      return this.reconnect();
    }
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !type.startsWith('text/event-stream') || !res.body) {
      this.fail();
      return;
    }
    this.readyState = this.OPEN;
    this.dispatchEvent(new Event('open'));
    try {
      await this.read(res.body);
    } catch {
      // A dropped connection: same as the stream ending.
    }
    this.reconnect();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let event = '';
    let data: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done || this.readyState === this.CLOSED) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) {
            const init = { data: data.join('\n'), lastEventId: this.lastEventId };
            this.dispatchEvent(new MessageEvent(event || 'message', init));
          }
          event = '';
          data = [];
          continue;
        }
        const colon = line.indexOf(':');
        if (colon === 0) continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
        else if (field === 'id' && !val.includes('\0')) this.lastEventId = val;
      }
    }
  }

  private reconnect(): void {
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CONNECTING;
    this.dispatchEvent(new Event('error'));
    setTimeout(() => {
      if (this.readyState !== this.CLOSED) void this.connect();
    }, FetchEventSource.retryMs);
  }

  private fail(): void {
    this.readyState = this.CLOSED;
    this.dispatchEvent(new Event('error'));
  }
}
