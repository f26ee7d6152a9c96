/**
 * Grafana's provisioning files, as objects: the Prometheus datasource and the file provider that
 * loads `dashboards/*.json`. Grafana reads them from `<provisioning>/datasources/*.yml` and
 * `<provisioning>/dashboards/*.yml` at start.
 */
import { DATASOURCE, FOLDER, PROMETHEUS_URL_ENV, SCRAPE_INTERVAL } from './config.ts';

/**
 * Where the provider expects the dashboard JSON inside Grafana's file system: mount (or copy)
 * ops/grafana/dashboards there, as docker-compose.scale.yml does.
 */
export const DASHBOARDS_MOUNT = '/var/lib/grafana/dashboards/llmpt';

export const datasourceProvisioning = () => ({
  apiVersion: 1,
  datasources: [
    {
      name: DATASOURCE.name,
      uid: DATASOURCE.uid,
      type: DATASOURCE.type,
      access: 'proxy',
      // Expanded by Grafana from its environment when it loads this file.
      url: `\${${PROMETHEUS_URL_ENV}}`,
      isDefault: true,
      editable: false,
      jsonData: {
        timeInterval: SCRAPE_INTERVAL,
        httpMethod: 'POST',
      },
    },
  ],
});

export const dashboardProvisioning = () => ({
  apiVersion: 1,
  providers: [
    {
      name: 'llmpt',
      folder: FOLDER,
      type: 'file',
      // Generated from ops/grafana/src: edits belong there, not in the UI.
      disableDeletion: true,
      allowUiUpdates: false,
      updateIntervalSeconds: 30,
      options: { path: DASHBOARDS_MOUNT, foldersFromFilesStructure: false },
    },
  ],
});
