/** A configuration problem found at start: names the file, the key and the reason. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`config error in ${source}${key ? ` at '${key}'` : ''}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** A user-facing error: the CLI prints its message without a stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
