import { type AdminLlm, matchesSearch, searchTerms } from '@llmpt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useRef, useState } from 'react';

import { StatusMessage } from '../components/status-message.tsx';
import { formatDate } from '../lib/format.ts';
import { adminTrpc } from './client.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { adminErrorMessage } from './errors.ts';
import { LoadFailed } from './load-failed.tsx';
import { LlmForm } from './llm-form.tsx';
import { ViewHeading } from './view.tsx';

type Editing = { mode: 'create' } | { mode: 'edit'; llm: AdminLlm } | null;

/** `/admin/catalogue`: every model, whatever its status; add, edit and retire. */
export function CataloguePage() {
  const queryClient = useQueryClient();
  const listOptions = adminTrpc.admin.catalogue.list.queryOptions();
  const list = useQuery(listOptions);
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [retiring, setRetiring] = useState<AdminLlm | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const retire = useMutation(adminTrpc.admin.catalogue.retire.mutationOptions());

  /** Puts a saved record into the list at once (then re-reads it to be sure). */
  function replace(saved: AdminLlm) {
    queryClient.setQueryData(listOptions.queryKey, (rows) => {
      if (!rows) return [saved];
      const at = rows.findIndex((r) => r.id === saved.id);
      return at === -1 ? [...rows, saved] : rows.map((r) => (r.id === saved.id ? saved : r));
    });
    void queryClient.invalidateQueries({ queryKey: listOptions.queryKey });
  }

  async function reload(id: string): Promise<AdminLlm | null> {
    const rows = await queryClient.fetchQuery({ ...listOptions, staleTime: 0 });
    return rows.find((r) => r.id === id) ?? null;
  }

  function closeForm(focusId?: string) {
    setEditing(null);
    // Back where the admin was: the row's Edit button, or "Add model".
    requestAnimationFrame(() => {
      const target = focusId
        ? document.querySelector<HTMLElement>(`[data-llm-id="${CSS.escape(focusId)}"] .admin-edit`)
        : addButton.current;
      target?.focus();
    });
  }

  async function confirmRetire(llm: AdminLlm) {
    try {
      const saved = await retire.mutateAsync({ id: llm.id });
      replace(saved);
      setNotice(`Retired ${saved.name}.`);
    } catch (error) {
      setNotice(`Couldn’t retire ${llm.name}: ${adminErrorMessage(error)}`);
    } finally {
      setRetiring(null);
    }
  }

  const terms = searchTerms(deferred);
  const rows = (list.data ?? []).filter((llm) =>
    matchesSearch(terms, [llm.name, llm.id, llm.vendor, llm.family, llm.status]),
  );

  return (
    <>
      <ViewHeading
        title="Catalogue"
        actions={
          editing ? null : (
            <button
              ref={addButton}
              type="button"
              className="button"
              onClick={() => {
                setNotice(null);
                setEditing({ mode: 'create' });
              }}
            >
              Add model
            </button>
          )
        }
      >
        Every model, listed or not. Changes reach every voter’s open page within a second.
      </ViewHeading>
      <p className="admin-notice-line" role="status">
        {notice}
      </p>
      {editing ? (
        <LlmForm
          key={editing.mode === 'edit' ? editing.llm.id : 'new'}
          llm={editing.mode === 'edit' ? editing.llm : null}
          reload={reload}
          onCancel={() => closeForm(editing.mode === 'edit' ? editing.llm.id : undefined)}
          onSaved={(saved) => {
            replace(saved);
            setNotice(`Saved ${saved.name}.`);
            closeForm(saved.id);
          }}
        />
      ) : null}
      <div className="admin-toolbar" hidden={editing !== null}>
        <div className="field admin-search">
          <label htmlFor="catalogue-search">Search models</label>
          <input
            id="catalogue-search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            autoComplete="off"
          />
        </div>
        <p className="muted admin-count" aria-live="polite">
          {list.data ? `${rows.length} of ${list.data.length} models` : ''}
        </p>
      </div>
      <div hidden={editing !== null}>
        {list.isPending ? (
          <StatusMessage title="Loading the catalogue…" />
        ) : list.isError ? (
          <LoadFailed what="the catalogue" error={list.error} retry={() => list.refetch()} />
        ) : rows.length === 0 ? (
          <StatusMessage title={list.data.length === 0 ? 'No models yet.' : 'No model matches.'}>
            {list.data.length === 0 ? 'Add the first one.' : 'Try another search.'}
          </StatusMessage>
        ) : (
          <div className="table-scroll admin-table-scroll">
            <table className="admin-table" aria-label="Models">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="admin-col-wide">
                    Vendor
                  </th>
                  <th scope="col" className="admin-col-wide">
                    Family
                  </th>
                  <th scope="col" className="admin-col-wide">
                    Released
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((llm) => (
                  <tr key={llm.id} data-llm-id={llm.id}>
                    <th scope="row">
                      <span className="admin-model-name">{llm.name}</span>
                      <span className="admin-model-id muted">
                        {llm.id}
                        <span className="admin-phone-only"> · {llm.vendor}</span>
                      </span>
                    </th>
                    <td className="admin-col-wide">{llm.vendor}</td>
                    <td className="admin-col-wide">{llm.family}</td>
                    <td className="admin-col-wide">
                      {llm.releaseDate ? formatDate(llm.releaseDate) : '–'}
                    </td>
                    <td>
                      <span className="admin-pill" data-status={llm.status}>
                        {llm.status}
                      </span>
                    </td>
                    <td className="admin-row-actions">
                      <button
                        type="button"
                        className="admin-button admin-edit"
                        aria-label={`Edit ${llm.name}`}
                        onClick={() => {
                          setNotice(null);
                          setEditing({ mode: 'edit', llm });
                        }}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="admin-button admin-danger"
                        aria-label={`Retire ${llm.name}`}
                        disabled={llm.status === 'retired'}
                        title={llm.status === 'retired' ? 'Already retired' : undefined}
                        onClick={() => setRetiring(llm)}
                      >
                        Retire
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {retiring ? (
        <ConfirmDialog
          title={`Retire ${retiring.name}?`}
          confirmLabel="Retire"
          busy={retire.isPending}
          onConfirm={() => void confirmRetire(retiring)}
          onCancel={() => {
            const id = retiring.id;
            setRetiring(null);
            requestAnimationFrame(() =>
              document
                .querySelector<HTMLElement>(`[data-llm-id="${CSS.escape(id)}"] .admin-danger`)
                ?.focus(),
            );
          }}
        >
          Voters will no longer see it on the leaderboard or vote on it. Its votes are kept, and you
          can make it active again by editing it.
        </ConfirmDialog>
      ) : null}
    </>
  );
}
