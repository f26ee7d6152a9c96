import type { FlagView } from '@llmpt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';

import { StatusMessage } from '../components/status-message.tsx';
import { adminTrpc } from './client.ts';
import { LoadFailed } from './load-failed.tsx';
import { adminErrorMessage, fieldErrors, isConflict } from './errors.ts';
import { ViewHeading } from './view.tsx';

/** `/admin/flags`: each feature flag, its rollout, and its experiment's arms. */
export function FlagsPage() {
  const list = useQuery(adminTrpc.admin.flags.list.queryOptions());
  return (
    <>
      <ViewHeading title="Flags">
        Rollouts pick voters by their id: the same voter keeps the same side. An experiment counts
        visits and votes on each side.
      </ViewHeading>
      {list.isPending ? (
        <StatusMessage title="Loading the flags…" />
      ) : list.isError ? (
        <LoadFailed what="the flags" error={list.error} retry={() => list.refetch()} />
      ) : list.data.length === 0 ? (
        <StatusMessage title="No flags." />
      ) : (
        <div className="admin-stack">
          {list.data.map((flag) => (
            <FlagSection key={flag.key} flag={flag} />
          ))}
        </div>
      )}
    </>
  );
}

const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

function FlagSection({ flag }: { flag: FlagView }) {
  const queryClient = useQueryClient();
  const listKey = adminTrpc.admin.flags.list.queryKey();
  const [enabled, setEnabled] = useState(flag.enabled);
  const [rollout, setRollout] = useState(String(flag.rolloutPercent));
  const [experiment, setExperiment] = useState(flag.experiment);
  const [rolloutError, setRolloutError] = useState<string | null>(null);
  const [problem, setProblem] = useState<ReactNode>(null);
  const [saved, setSaved] = useState(false);
  const update = useMutation(adminTrpc.admin.flags.update.mutationOptions());
  const id = `flag-${flag.key}`;
  // A newer version of the flag (saved here, or reloaded after a conflict): start from it.
  const [base, setBase] = useState(flag.updatedAt);
  if (base !== flag.updatedAt) {
    setBase(flag.updatedAt);
    setEnabled(flag.enabled);
    setRollout(String(flag.rolloutPercent));
    setExperiment(flag.experiment);
  }

  const dirty =
    enabled !== flag.enabled ||
    rollout !== String(flag.rolloutPercent) ||
    experiment !== flag.experiment;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    setSaved(false);
    const percent = Number(rollout.trim());
    if (rollout.trim() === '' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      setRolloutError('Must be a whole number from 0 to 100.');
      document.getElementById(`${id}-rollout`)?.focus();
      return;
    }
    setRolloutError(null);
    try {
      const next = await update.mutateAsync({
        key: flag.key,
        enabled,
        rolloutPercent: percent,
        experiment,
        expectedUpdatedAt: flag.updatedAt,
      });
      queryClient.setQueryData(listKey, (rows) =>
        rows?.map((r) => (r.key === next.key ? next : r)),
      );
      setSaved(true);
    } catch (error) {
      const byField = fieldErrors(error);
      if (byField.rolloutPercent) setRolloutError(byField.rolloutPercent.join(' '));
      else if (isConflict(error)) {
        setProblem(
          <>
            Someone else changed this flag since you opened it: your change was not saved.{' '}
            <button
              type="button"
              className="admin-button"
              onClick={() => void queryClient.invalidateQueries({ queryKey: listKey })}
            >
              Reload it
            </button>
          </>,
        );
      } else setProblem(adminErrorMessage(error));
    }
  }

  return (
    <section className="admin-card admin-flag" aria-labelledby={`${id}-title`} data-flag={flag.key}>
      <h2 id={`${id}-title`}>
        <code>{flag.key}</code>
      </h2>
      <p>{flag.description}</p>
      <p className="muted admin-small">
        Changed {when.format(Date.parse(flag.updatedAt))}
        {flag.updatedBy ? ` by ${flag.updatedBy}` : ''}.
      </p>
      <form className="admin-flag-form" onSubmit={(e) => void submit(e)} noValidate>
        <label className="admin-check">
          <input
            type="checkbox"
            checked={enabled}
            onChange={(e) => {
              setSaved(false);
              setEnabled(e.target.checked);
            }}
          />
          Enabled
        </label>
        <div className="admin-field admin-field-narrow">
          <label htmlFor={`${id}-rollout`}>Rollout (%)</label>
          <input
            id={`${id}-rollout`}
            type="number"
            min={0}
            max={100}
            step={1}
            inputMode="numeric"
            value={rollout}
            aria-invalid={rolloutError ? true : undefined}
            aria-describedby={rolloutError ? `${id}-rollout-error` : undefined}
            onChange={(e) => {
              setSaved(false);
              setRollout(e.target.value);
            }}
          />
        </div>
        <label className="admin-check">
          <input
            type="checkbox"
            checked={experiment}
            onChange={(e) => {
              setSaved(false);
              setExperiment(e.target.checked);
            }}
          />
          Experiment
        </label>
        <button type="submit" className="button" disabled={update.isPending}>
          Save
        </button>
        <span className="muted" role="status">
          {update.isPending ? 'Saving…' : saved && !dirty ? 'Saved.' : ''}
        </span>
      </form>
      {rolloutError ? (
        <p id={`${id}-rollout-error`} className="admin-field-error">
          {rolloutError}
        </p>
      ) : null}
      {problem ? (
        <div className="admin-banner" data-tone="error" role="alert">
          {problem}
        </div>
      ) : null}
      <p className="muted admin-small">
        {!flag.enabled ? 'Off for everyone.' : `On for ${flag.rolloutPercent}% of voters.`}
        {flag.experiment ? ' Experiment running.' : ''}
      </p>
      <table className="admin-table admin-arms" aria-label={`Experiment arms of ${flag.key}`}>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">Exposures</th>
            <th scope="col">Votes</th>
            <th scope="col">Votes per visit</th>
          </tr>
        </thead>
        <tbody>
          {flag.arms.length === 0 ? (
            <tr>
              <td colSpan={4} className="muted">
                No exposures yet.
              </td>
            </tr>
          ) : (
            flag.arms.map((arm) => (
              <tr key={arm.variant}>
                <th scope="row">{arm.variant}</th>
                <td>{count.format(arm.exposures)}</td>
                <td>{count.format(arm.votes)}</td>
                <td>{arm.votesPerVisit === null ? '–' : arm.votesPerVisit.toFixed(2)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}

const count = new Intl.NumberFormat('en');
