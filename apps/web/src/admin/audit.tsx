import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { inferOutput } from '@trpc/tanstack-react-query';
import { useDeferredValue, useMemo, useRef, useState } from 'react';

import { StatusMessage } from '../components/status-message.tsx';
import { adminTrpc } from './client.ts';
import { LoadFailed } from './load-failed.tsx';
import { diffJson } from './json-diff.ts';
import { ViewHeading } from './view.tsx';

/** As it arrives (JSON: `before`/`after` absent when the api had none). */
type AuditEntry = inferOutput<typeof adminTrpc.admin.audit.list>['entries'][number];

const PAGE_SIZE = 20;
const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });

/** `/admin/audit`: every admin action, newest first, searchable, a page at a time. */
export function AuditPage() {
  const [query, setQuery] = useState('');
  const q = useDeferredValue(query.trim());
  // The cursors of the pages before this one: "Older" pushes, "Newer" pops.
  const [cursors, setCursors] = useState<number[]>([]);
  const [cursorsFor, setCursorsFor] = useState(q);
  if (cursorsFor !== q) {
    // A new search starts at its newest entry.
    setCursorsFor(q);
    setCursors([]);
  }
  const before = cursors.at(-1);
  const page = useQuery(
    adminTrpc.admin.audit.list.queryOptions(
      { q: q === '' ? undefined : q, before, limit: PAGE_SIZE },
      { placeholderData: keepPreviousData },
    ),
  );
  const list = useRef<HTMLOListElement>(null);
  const next = page.data?.nextCursor ?? null;

  function turn(to: number[]) {
    setCursors(to);
    list.current?.focus();
  }

  return (
    <>
      <ViewHeading title="Audit log">
        Every change made by an admin or the command line, newest first. Entries cannot be edited or
        deleted.
      </ViewHeading>
      <form className="admin-toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="field admin-search">
          <label htmlFor="audit-search">Search</label>
          <input
            id="audit-search"
            type="search"
            value={query}
            placeholder="Who, action, model or flag"
            autoComplete="off"
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <Pager
          page={cursors.length + 1}
          onNewer={cursors.length > 0 ? () => turn(cursors.slice(0, -1)) : null}
          onOlder={next !== null ? () => turn([...cursors, next]) : null}
        />
      </form>
      {page.isPending ? (
        <StatusMessage title="Loading the audit log…" />
      ) : page.isError ? (
        <LoadFailed what="the audit log" error={page.error} retry={() => page.refetch()} />
      ) : page.data.entries.length === 0 ? (
        <StatusMessage title={q ? 'Nothing matches.' : 'No admin actions yet.'}>
          {q ? 'Try another search.' : 'Changes to the catalogue and flags will be listed here.'}
        </StatusMessage>
      ) : (
        <ol
          ref={list}
          className="admin-audit"
          aria-label="Audit entries"
          aria-busy={page.isPlaceholderData}
          tabIndex={-1}
        >
          {page.data.entries.map((entry) => (
            <AuditItem key={entry.id} entry={entry} />
          ))}
        </ol>
      )}
    </>
  );
}

function Pager({
  page,
  onNewer,
  onOlder,
}: {
  page: number;
  onNewer: (() => void) | null;
  onOlder: (() => void) | null;
}) {
  return (
    <div className="admin-pager">
      <button
        type="button"
        className="admin-button"
        disabled={!onNewer}
        onClick={() => onNewer?.()}
      >
        Newer
      </button>
      <span className="muted">Page {page}</span>
      <button
        type="button"
        className="admin-button"
        disabled={!onOlder}
        onClick={() => onOlder?.()}
      >
        Older
      </button>
    </div>
  );
}

function AuditItem({ entry }: { entry: AuditEntry }) {
  const rows = useMemo(
    () => diffJson(entry.before ?? null, entry.after ?? null),
    [entry.before, entry.after],
  );
  const target = entry.targetType
    ? `${entry.targetType}${entry.targetId ? ` ${entry.targetId}` : ''}`
    : '–';
  return (
    <li className="admin-audit-entry" data-audit-id={entry.id}>
      <details>
        <summary>
          <span className="admin-audit-toggle" aria-hidden="true">
            ▸
          </span>
          <time dateTime={entry.at}>{when.format(Date.parse(entry.at))}</time>
          <span className="admin-audit-actor">{entry.actor}</span>
          <code className="admin-audit-action">{entry.action}</code>
          <span className="admin-audit-target">{target}</span>
          <span className="admin-audit-ip muted">
            <span className="visually-hidden">from </span>
            {entry.ip ?? 'unknown address'}
          </span>
        </summary>
        <div className="admin-audit-body">
          {entry.userAgent ? <p className="muted admin-small">{entry.userAgent}</p> : null}
          {rows.length === 0 ? (
            <p className="muted">No before or after recorded.</p>
          ) : (
            <table className="admin-table admin-diff" aria-label={`Changes of entry ${entry.id}`}>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.path} data-changed={row.changed || undefined}>
                    <th scope="row">
                      {row.path || 'value'}
                      {row.changed ? <span className="visually-hidden"> (changed)</span> : null}
                    </th>
                    <td>
                      {row.before === null ? (
                        <span className="muted">–</span>
                      ) : (
                        <code>{row.before}</code>
                      )}
                    </td>
                    <td>
                      {row.after === null ? (
                        <span className="muted">–</span>
                      ) : (
                        <code>{row.after}</code>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </details>
    </li>
  );
}
