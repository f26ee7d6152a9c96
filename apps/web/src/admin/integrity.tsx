import { INTEGRITY_RULE_PUBLIC, type IntegrityFlag } from '@llmpt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import { StatusMessage } from '../components/status-message.tsx';
import { adminTrpc } from './client.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { adminErrorMessage, fieldErrors } from './errors.ts';
import {
  FLAG_STATUS_LABEL,
  QUEUE_FILTERS,
  type QueueFilter,
  canReview,
  confirmSummary,
  countName,
  dismissSummary,
  evidenceCounts,
  formatWindow,
  parseBanHours,
  shortHash,
} from './integrity-data.ts';
import { LoadFailed } from './load-failed.tsx';
import { ViewHeading } from './view.tsx';

const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });
const count = new Intl.NumberFormat('en');

/**
 * `/admin/integrity` (issue 13): the flags the detection rules raised, newest first, with their
 * evidence; an open flag is confirmed (its votes stay out, optionally with bans) or dismissed
 * (its votes restored), each after a confirmation step. Kept current by the live feed.
 */
export function IntegrityQueuePage() {
  const [filter, setFilter] = useState<QueueFilter>('pending');
  // Keyset pages: the `before` of each page shown after the first.
  const [pages, setPages] = useState<number[]>([]);
  const before = pages.at(-1);
  const list = useQuery(
    adminTrpc.admin.integrity.list.queryOptions(
      before === undefined ? { status: filter } : { status: filter, before },
      { refetchInterval: 60_000 },
    ),
  );

  return (
    <>
      <ViewHeading title="Integrity">
        Flags raised by the detection rules. Their votes are already out of the rankings: confirm
        keeps them out (and may ban), dismiss restores them.
      </ViewHeading>
      <div className="admin-toolbar">
        <div className="segmented" role="group" aria-label="Show flags">
          {QUEUE_FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              aria-pressed={filter === f.value}
              onClick={() => {
                setFilter(f.value);
                setPages([]);
              }}
            >
              {f.label}
            </button>
          ))}
        </div>
        <p className="admin-count" role="status">
          {list.data ? `${count.format(list.data.pending)} waiting for review` : ''}
        </p>
      </div>
      {list.isPending ? (
        <StatusMessage title="Loading the flags…" />
      ) : list.isError ? (
        <LoadFailed what="the review queue" error={list.error} retry={() => list.refetch()} />
      ) : list.data.flags.length === 0 ? (
        <StatusMessage title={filter === 'pending' ? 'Nothing to review.' : 'No flags here.'} />
      ) : (
        <div className="admin-stack" data-testid="integrity-queue">
          {list.data.flags.map((flag) => (
            <FlagCard key={flag.id} flag={flag} />
          ))}
        </div>
      )}
      {pages.length > 0 || list.data?.next ? (
        <div className="admin-pager">
          <button
            type="button"
            className="admin-button"
            disabled={pages.length === 0}
            onClick={() => setPages((p) => p.slice(0, -1))}
          >
            Newer
          </button>
          <button
            type="button"
            className="admin-button"
            disabled={!list.data?.next}
            onClick={() => {
              const next = list.data?.next;
              if (next) setPages((p) => [...p, next]);
            }}
          >
            Older
          </button>
        </div>
      ) : null}
    </>
  );
}

type Pending = { kind: 'confirm' } | { kind: 'dismiss' } | null;

function FlagCard({ flag }: { flag: IntegrityFlag }) {
  const queryClient = useQueryClient();
  const { evidence } = flag;
  const id = `integrity-flag-${flag.id}`;
  const [banVoters, setBanVoters] = useState(false);
  const [banPrefix, setBanPrefix] = useState(false);
  const [hours, setHours] = useState('24');
  const [hoursError, setHoursError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [asking, setAsking] = useState<Pending>(null);
  const confirm = useMutation(adminTrpc.admin.integrity.confirm.mutationOptions());
  const dismiss = useMutation(adminTrpc.admin.integrity.dismiss.mutationOptions());
  const busy = confirm.isPending || dismiss.isPending;
  const ban = banVoters || banPrefix;
  const parsedHours = parseBanHours(hours);

  function ask(kind: 'confirm' | 'dismiss') {
    setProblem(null);
    if (kind === 'confirm' && ban && 'error' in parsedHours) {
      setHoursError(parsedHours.error);
      document.getElementById(`${id}-hours`)?.focus();
      return;
    }
    setHoursError(null);
    setAsking({ kind });
  }

  async function act() {
    const kind = asking?.kind;
    try {
      if (kind === 'confirm') {
        await confirm.mutateAsync({
          flagId: flag.id,
          banVoters,
          banPrefix,
          ...('hours' in parsedHours && ban ? { hours: parsedHours.hours } : {}),
        });
      } else if (kind === 'dismiss') {
        await dismiss.mutateAsync({ flagId: flag.id });
      }
      setAsking(null);
      await queryClient.invalidateQueries({ queryKey: adminTrpc.admin.integrity.pathKey() });
    } catch (error) {
      setAsking(null);
      const byField = fieldErrors(error);
      if (byField.hours) setHoursError(byField.hours.join(' '));
      else setProblem(adminErrorMessage(error));
    }
  }

  const rule = INTEGRITY_RULE_PUBLIC[flag.rule];
  return (
    <section
      className="admin-card admin-integrity-flag"
      aria-labelledby={`${id}-title`}
      data-flag-id={flag.id}
      data-status={flag.status}
    >
      <div className="admin-integrity-head">
        <h2 id={`${id}-title`}>
          #{flag.id} {rule.title} <code className="admin-small">{flag.rule}</code>
        </h2>
        <span className="admin-pill" data-status={flag.status}>
          {FLAG_STATUS_LABEL[flag.status]}
        </span>
      </div>
      <p>{flag.explanation}</p>
      <dl className="admin-facts">
        <div>
          <dt>Votes</dt>
          <dd>{count.format(flag.votes)}</dd>
        </div>
        <div>
          <dt>Voters</dt>
          <dd>{count.format(flag.voters)}</dd>
        </div>
        <div>
          <dt>Window</dt>
          <dd>{formatWindow(evidence.windowSec)}</dd>
        </div>
        {evidence.prefixHash ? (
          <div>
            <dt>Network</dt>
            <dd title={evidence.prefixHash}>
              <code>{shortHash(evidence.prefixHash)}</code>
            </dd>
          </div>
        ) : null}
        {evidence.fingerprintHash ? (
          <div>
            <dt>Fingerprint</dt>
            <dd title={evidence.fingerprintHash}>
              <code>{shortHash(evidence.fingerprintHash)}</code>
            </dd>
          </div>
        ) : null}
        {evidence.llmId ? (
          <div>
            <dt>Model</dt>
            <dd>
              <code>{evidence.llmId}</code>
              {evidence.direction ? (evidence.direction === 1 ? ' ▲ up' : ' ▼ down') : ''}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>First vote</dt>
          <dd>{when.format(Date.parse(evidence.firstVoteAt))}</dd>
        </div>
        <div>
          <dt>Last vote</dt>
          <dd>{when.format(Date.parse(evidence.lastVoteAt))}</dd>
        </div>
        <div>
          <dt>Raised</dt>
          <dd>{when.format(Date.parse(flag.createdAt))}</dd>
        </div>
      </dl>
      <div className="admin-integrity-tables">
        <table className="admin-table" aria-label={`Evidence of flag ${flag.id}`}>
          <thead>
            <tr>
              <th scope="col">Counted</th>
              <th scope="col">Value</th>
              <th scope="col">Threshold</th>
            </tr>
          </thead>
          <tbody>
            {evidenceCounts(evidence).map((c) => (
              <tr key={c.name}>
                <th scope="row">{countName(c.name)}</th>
                <td>{c.count === null ? '–' : count.format(c.count)}</td>
                <td>{c.threshold === null ? '–' : count.format(c.threshold)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="admin-table" aria-label={`Votes of flag ${flag.id} by model`}>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Votes</th>
            </tr>
          </thead>
          <tbody>
            {flag.byModel.map((m) => (
              <tr key={m.llmId}>
                <th scope="row">
                  <code>{m.llmId}</code>
                </th>
                <td>{count.format(m.votes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {flag.reviewedAt ? (
        <p className="muted admin-small">
          {flag.status === 'dismissed' || flag.status === 'restoring' ? 'Dismissed' : 'Confirmed'}{' '}
          {when.format(Date.parse(flag.reviewedAt))}
          {flag.reviewedBy ? ` by ${flag.reviewedBy}` : ''}
          {flag.ban
            ? `; banned ${[flag.ban.voters ? 'its voters' : null, flag.ban.prefix ? 'its network' : null].filter(Boolean).join(' and ')} until ${when.format(Date.parse(flag.ban.until))}`
            : ''}
          .
        </p>
      ) : null}
      {canReview(flag) ? (
        <form
          className="admin-flag-form admin-integrity-review"
          onSubmit={(e) => e.preventDefault()}
          noValidate
        >
          <label className="admin-check">
            <input
              type="checkbox"
              checked={banVoters}
              onChange={(e) => setBanVoters(e.target.checked)}
            />
            Ban its voter ids
          </label>
          <label className="admin-check">
            <input
              type="checkbox"
              checked={banPrefix}
              disabled={!evidence.prefixHash}
              onChange={(e) => setBanPrefix(e.target.checked)}
            />
            Ban its network
          </label>
          <div className="admin-field admin-field-narrow">
            <label htmlFor={`${id}-hours`}>For (hours)</label>
            <input
              id={`${id}-hours`}
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={hours}
              disabled={!ban}
              aria-invalid={hoursError ? true : undefined}
              aria-describedby={hoursError ? `${id}-hours-error` : undefined}
              onChange={(e) => {
                setHours(e.target.value);
                setHoursError(null);
              }}
            />
          </div>
          <button type="button" className="button" disabled={busy} onClick={() => ask('confirm')}>
            Confirm…
          </button>
          <button
            type="button"
            className="admin-button"
            disabled={busy}
            onClick={() => ask('dismiss')}
          >
            Dismiss and restore…
          </button>
          <span className="muted" role="status">
            {busy ? 'Saving…' : ''}
          </span>
        </form>
      ) : null}
      {hoursError ? (
        <p id={`${id}-hours-error`} className="admin-field-error">
          {hoursError}
        </p>
      ) : null}
      {problem ? (
        <div className="admin-banner" data-tone="error" role="alert">
          {problem}
        </div>
      ) : null}
      {asking ? (
        <ConfirmDialog
          title={
            asking.kind === 'confirm' ? `Confirm flag #${flag.id}?` : `Dismiss flag #${flag.id}?`
          }
          confirmLabel={asking.kind === 'confirm' ? 'Confirm' : 'Dismiss and restore'}
          busy={busy}
          onConfirm={() => void act()}
          onCancel={() => setAsking(null)}
        >
          {asking.kind === 'confirm'
            ? confirmSummary(flag, {
                voters: banVoters,
                prefix: banPrefix,
                hours: 'hours' in parsedHours ? parsedHours.hours : 24,
              })
            : dismissSummary(flag)}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
