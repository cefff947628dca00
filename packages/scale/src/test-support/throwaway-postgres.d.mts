export interface ThrowawayPostgres {
  /** The temporary folder holding the cluster, its log and its socket. */
  readonly root: string;
  readonly port: number;
  /** The superuser's password (random per server). */
  readonly password: string;
  /** The maintenance database `postgres`, for creating more databases. */
  readonly adminUrl: string;
  /** The database created for the caller. */
  readonly url: string;
  readonly database: string;
  /** Stops the server, keeping its data (to prove clients survive a restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes everything it wrote. */
  dispose(): Promise<void>;
}

export declare function startThrowawayPostgres(options?: {
  database?: string;
}): Promise<ThrowawayPostgres>;
