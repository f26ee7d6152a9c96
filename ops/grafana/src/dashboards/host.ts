/**
 * The host: CPU, memory, disk and network from node_exporter, and what the app processes
 * themselves use (their prom-client process metrics).
 */
import { dashboard, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

const NODE = 'job="node",instance=~"$instance"';
/** Real filesystems (not tmpfs, overlay layers or squashfs images). */
const FS = `${NODE},fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.*"`;
/** Physical and cloud interfaces (not loopback, bridges, veth pairs or traffic-shaping ifbs). */
const NET = `${NODE},device!~"lo|ifb.*|veth.*|docker.*|br-.*|virbr.*"`;
/** The app's own processes (their process_* metrics describe themselves, not a server). */
const APPS = 'job=~"api|worker"';
const R = '[$__rate_interval]';

const cpuBusy = `1 - avg(rate(node_cpu_seconds_total{${NODE},mode="idle"}${R}))`;
const memoryUsed = `1 - sum(node_memory_MemAvailable_bytes{${NODE}}) / sum(node_memory_MemTotal_bytes{${NODE}})`;
const diskUsed = (by: string) =>
  `1 - sum by (${by}) (node_filesystem_avail_bytes{${FS}}) / sum by (${by}) (node_filesystem_size_bytes{${FS}})`;

export const host = () =>
  dashboard({
    uid: 'llmpt-host',
    title: 'LLMPT / Host',
    description:
      'CPU, memory, disk and network of the host, and what the api and worker processes use.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'node', 'host')],
    rows: [
      {
        title: 'Overview',
        panels: [
          stat({
            title: 'CPU busy',
            description: 'Share of CPU time not idle, all cores.',
            unit: 'percentunit',
            queries: [q(cpuBusy, 'busy')],
            thresholds: steps.below(0.85),
            width: 6,
          }),
          stat({
            title: 'Memory used',
            description: 'MemTotal − MemAvailable over MemTotal.',
            unit: 'percentunit',
            queries: [q(memoryUsed, 'used')],
            thresholds: steps.below(0.9),
            width: 6,
          }),
          stat({
            title: 'Fullest filesystem',
            description:
              'The most used real filesystem (Postgres, Redis AOF, Prometheus live there).',
            unit: 'percentunit',
            queries: [q(`max(${diskUsed('mountpoint')})`, 'used')],
            thresholds: steps.below(0.85),
            width: 6,
          }),
          stat({
            title: 'Load (1 min) per core',
            description:
              'Run-queue length over the number of cores: above 1, work waits for a CPU.',
            unit: 'short',
            queries: [
              q(
                `max(node_load1{${NODE}}) / count(count by (cpu) (node_cpu_seconds_total{${NODE}}))`,
                'load/core',
              ),
            ],
            thresholds: steps.below(1),
            width: 6,
          }),
        ],
      },
      {
        title: 'CPU and memory',
        panels: [
          timeseries({
            title: 'CPU by mode',
            description: 'Average over cores; iowait means processes wait for the disk.',
            unit: 'percentunit',
            queries: [
              q(
                `avg by (mode) (rate(node_cpu_seconds_total{${NODE},mode!="idle"}${R}))`,
                '{{mode}}',
              ),
            ],
            stacked: true,
            min: 0,
            width: 12,
          }),
          timeseries({
            title: 'CPU by app process',
            description: 'CPU seconds per second of each api and worker process (1 = one core).',
            unit: 'short',
            queries: [
              q(`sum by (process) (rate(process_cpu_seconds_total{${APPS}}${R}))`, '{{process}}'),
            ],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'Memory',
            description: 'Used (total − available), page cache and buffers, of the total.',
            unit: 'bytes',
            queries: [
              q(
                `sum(node_memory_MemTotal_bytes{${NODE}}) - sum(node_memory_MemAvailable_bytes{${NODE}})`,
                'used',
              ),
              q(
                `sum(node_memory_Cached_bytes{${NODE}}) + sum(node_memory_Buffers_bytes{${NODE}})`,
                'cache + buffers',
              ),
              q(`sum(node_memory_MemTotal_bytes{${NODE}})`, 'total'),
            ],
            min: 0,
            width: 12,
          }),
          timeseries({
            title: 'Memory by app process',
            description: 'Resident memory of each api and worker (about 11 KB more per WebSocket).',
            unit: 'bytes',
            queries: [
              q(`max by (process) (process_resident_memory_bytes{${APPS}})`, '{{process}}'),
            ],
            width: 12,
          }),
        ],
      },
      {
        title: 'Disk and network',
        panels: [
          timeseries({
            title: 'Filesystem used',
            description: 'Per mount point, of its size.',
            unit: 'percentunit',
            queries: [q(diskUsed('mountpoint'), '{{mountpoint}}')],
            thresholds: steps.below(0.85),
            min: 0,
            max: 1,
            width: 8,
          }),
          timeseries({
            title: 'Disk I/O',
            description: 'Bytes read and written per second, per device.',
            unit: 'Bps',
            queries: [
              q(
                `sum by (device) (rate(node_disk_read_bytes_total{${NODE}}${R}))`,
                '{{device}} read',
              ),
              q(
                `sum by (device) (rate(node_disk_written_bytes_total{${NODE}}${R}))`,
                '{{device}} written',
              ),
            ],
            width: 8,
          }),
          timeseries({
            title: 'Network',
            description:
              'Bytes received and sent per second on the host’s interfaces (loopback, where a one-machine cluster talks to itself, is not counted by node_exporter).',
            unit: 'Bps',
            queries: [
              q(
                `sum by (device) (rate(node_network_receive_bytes_total{${NET}}${R}))`,
                '{{device}} in',
              ),
              q(
                `sum by (device) (rate(node_network_transmit_bytes_total{${NET}}${R}))`,
                '{{device}} out',
              ),
            ],
            width: 8,
          }),
          timeseries({
            title: 'Open files',
            description:
              'File descriptors of each app process: every WebSocket is one, and a process may hold about 20,000 here (process_max_fds).',
            unit: 'short',
            queries: [q(`max by (process) (process_open_fds{${APPS}})`, '{{process}}')],
            width: 12,
          }),
          timeseries({
            title: 'File descriptors (host)',
            description: 'Allocated file handles on the host against fs.file-max.',
            unit: 'short',
            queries: [
              q(`max(node_filefd_allocated{${NODE}})`, 'allocated'),
              q(`max(node_filefd_maximum{${NODE}})`, 'maximum'),
            ],
            width: 12,
          }),
        ],
      },
    ],
  });
