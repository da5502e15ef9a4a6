import { cacheRoot } from "../cache/snapshot";

/**
 * Directory under a node's cache root where restore.sh writes each model's last restore figures
 * for node-exporter's textfile collector (components/cache/scripts/restore.sh, "Metrics").
 */
export const RESTORE_METRICS_DIR = ".metrics";

/** The node directory holding the restore metrics of a pool whose NVMe array is mounted at `nvmeMountPath`. */
export function restoreMetricsDir(nvmeMountPath: string): string {
  return `${cacheRoot(nvmeMountPath)}/${RESTORE_METRICS_DIR}`;
}
