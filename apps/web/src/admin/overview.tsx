import type { Overview, OverviewPoint } from '@llmpt/shared';
import { useEffect, useMemo, useState } from 'react';

import { StatusMessage } from '../components/status-message.tsx';
import { adminClient } from './client.ts';
import { adminErrorMessage, isUnauthorized } from './errors.ts';
import { chartSpecs, formatValue, mergePoints } from './overview-data.ts';
import { session } from './session.ts';
import { TimeChart } from './time-chart.tsx';
import { ViewHeading } from './view.tsx';

interface OverviewState {
  points: OverviewPoint[];
  latest: Omit<Overview, 'points'> | null;
  error: unknown;
  loaded: boolean;
}

/** Polls after a failure back off to this (a down api is not hammered by open dashboards). */
const MAX_RETRY_MS = 30_000;

/**
 * The last hour from `admin.overview`, then every step only what is new (`sinceMs` = the newest
 * point held), appended and trimmed to an hour. A 401 ends the session (the form shows); other
 * failures keep the charts and retry with backoff.
 */
function useOverview(): OverviewState {
  const [state, setState] = useState<OverviewState>({
    points: [],
    latest: null,
    error: null,
    loaded: false,
  });

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const controller = new AbortController();
    let points: OverviewPoint[] = [];
    let failures = 0;

    async function poll() {
      const since = points.at(-1)?.t;
      let delay: number;
      try {
        const answer = await adminClient.admin.overview.query(
          since === undefined ? {} : { sinceMs: since },
          { signal: controller.signal },
        );
        if (stopped) return;
        points = mergePoints(points, answer.points);
        failures = 0;
        const latest = {
          stepSec: answer.stepSec,
          rankerLeader: answer.rankerLeader,
          processes: answer.processes,
        };
        setState({ points, latest, error: null, loaded: true });
        delay = Math.max(1, answer.stepSec) * 1000;
      } catch (error) {
        if (stopped) return;
        if (isUnauthorized(error)) {
          session.ended();
          return;
        }
        failures++;
        setState((s) => ({ ...s, error, loaded: true }));
        delay = Math.min(MAX_RETRY_MS, 2000 * 2 ** (failures - 1));
      }
      timer = setTimeout(() => void poll(), delay);
    }
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, []);
  return state;
}

/** `/admin`: how the site is doing, live. */
export function OverviewPage() {
  const { points, latest, error, loaded } = useOverview();
  const xs = useMemo(() => points.map((p) => p.t / 1000), [points]);
  const specs = useMemo(() => chartSpecs(points), [points]);
  const last = points.at(-1);

  return (
    <>
      <ViewHeading title="Overview">
        The last hour, summed over every api and worker process, updating live.
      </ViewHeading>
      {error && points.length > 0 ? (
        <p className="admin-banner" data-tone="error" role="alert">
          Live updates paused: {adminErrorMessage(error)} Retrying…
        </p>
      ) : null}
      {!loaded ? (
        <OverviewSkeleton />
      ) : points.length === 0 && error ? (
        <StatusMessage tone="error" title="Can’t load the overview.">
          {adminErrorMessage(error)} Retrying…
        </StatusMessage>
      ) : points.length === 0 ? (
        <StatusMessage title="No measurements yet.">
          The processes report every step; the first points appear within a minute.
        </StatusMessage>
      ) : (
        <>
          <dl className="admin-facts" aria-label="Now">
            <div>
              <dt>Ranker leader</dt>
              <dd>{latest?.rankerLeader ?? 'none'}</dd>
            </div>
            <div>
              <dt>Ranker tick</dt>
              <dd>{formatValue(last?.rankerTickSec, 'seconds')}</dd>
            </div>
            <div>
              <dt>Processes</dt>
              <dd>
                {latest?.processes.api ?? 0} api, {latest?.processes.worker ?? 0} worker
              </dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>
                {last ? (
                  <time dateTime={new Date(last.t).toISOString()}>{clock(last.t)}</time>
                ) : (
                  '–'
                )}
              </dd>
            </div>
          </dl>
          <div className="admin-charts">
            {specs.map((spec) => (
              <TimeChart key={spec.id} spec={spec} xs={xs} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

const clockFormat = new Intl.DateTimeFormat('en', { timeStyle: 'medium' });
const clock = (ms: number) => clockFormat.format(ms);

function OverviewSkeleton() {
  return (
    <div className="admin-charts" aria-busy="true" role="status" aria-label="Loading the overview">
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="admin-chart admin-chart-skeleton">
          <span className="bone bone-text" />
          <span className="bone bone-block" />
        </div>
      ))}
    </div>
  );
}
