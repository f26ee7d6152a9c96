/**
 * Dashboard variables: the datasource (defaulting to the provisioned one) and "which
 * processes" pickers fed by Prometheus's own target labels.
 */
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';

import { DATASOURCE } from './config.ts';
import { DS } from './panels.ts';

/** `$datasource`: every Prometheus datasource, the provisioned one selected. */
export const datasourceVariable = () =>
  new DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .current({ text: DATASOURCE.name, value: DATASOURCE.uid });

/** The value Grafana substitutes for "All": a regex matching any value (`=~"$var"`). */
export const ALL_VALUE = '.*';

/**
 * `$name`: the values of `label` on the targets of `job` (from `up`, which every scrape target
 * has, so the list is complete even for a process that has not counted anything yet); several
 * or All may be picked, and queries match them with `label=~"$name"`.
 */
export const targetVariable = (name: string, label: string, job: string, title: string) =>
  new QueryVariableBuilder(name)
    .label(title)
    .datasource(DS)
    .query(`label_values(up{job="${job}"}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.NaturalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ text: 'All', value: '$__all' });
