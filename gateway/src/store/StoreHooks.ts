// What a store tells its owner about itself, without depending on a logger or metrics library.
export interface StoreHooks {
  /** Called once at creation when the store has a limitation an operator must know about. */
  onWarning?(message: string): void;
  /**
   * Connection state transitions of a server-backed store: 'down' once when the server is lost
   * (not on every reconnect attempt), 'up' when it answers again. For logs, health, metrics.
   */
  onConnectionChange?(state: 'up' | 'down', error?: unknown): void;
}
