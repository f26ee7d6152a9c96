/** A server started by devstack: where to reach it and how to shut it down. */
export interface LocalService {
  /** Connection URL (`postgres://…` or `redis://…`) on 127.0.0.1. */
  url: string;
  /** Shuts the server down and resolves once its process has exited. Safe to call twice. */
  stop(): Promise<void>;
}
