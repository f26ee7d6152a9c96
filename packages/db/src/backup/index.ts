export {
  dumpDatabase,
  readDumpHeader,
  verifyDumpFile,
  type DumpOptions,
  type DumpResult,
} from './dump.ts';
export type { DumpHeader, DumpTable } from './dump-format.ts';
export {
  RestoreRefused,
  restoreDatabase,
  type RestoreOptions,
  type RestoreResult,
} from './restore.ts';
