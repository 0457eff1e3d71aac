/** How a day-2 command names its cluster folder; plain data for the CLI's flags and for scripts. */
/** Which cluster a day-2 command works on; all optional (the only folder under ./clusters/). */
export interface ClusterRef {
  /** The cluster folder (--dir). */
  dir?: string;
  /** A cluster.yaml whose name picks the folder ./clusters/<name> (--config). */
  config?: string;
  /** The cluster's name: the folder ./clusters/<name>, which must hold that cluster. */
  name?: string;
}
