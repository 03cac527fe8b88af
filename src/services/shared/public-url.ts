/** The URL at which others (Alertmanager, n8n) reach this server: configured, or the address it listens on. */
export class PublicUrl {
  private value: string;

  constructor(
    private readonly configured: string | undefined,
    port: number,
  ) {
    this.value = configured ?? `http://localhost:${port}`;
  }

  /** Without a configured URL, the port the server really listens on (port 0 = any port). */
  useListeningPort(port: number): void {
    if (!this.configured) this.value = `http://localhost:${port}`;
  }

  get(): string {
    return this.value;
  }
}
