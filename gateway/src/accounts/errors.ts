// Errors the registry throws for a caller's mistake, so the CLI and beheer screens can say
// what is wrong instead of showing a database message.

/** The input breaks a rule (format of a KvK number, a gebruikersnaam, a hash, …). */
export class InvalidRegistryInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidRegistryInputError';
  }
}

/** Something unique already exists (a gebruikersnaam, an organisation's KvK number). */
export class RegistryConflictError extends Error {
  constructor(
    readonly field: 'gebruikersnaam' | 'kvk',
    message: string,
  ) {
    super(message);
    this.name = 'RegistryConflictError';
  }
}

/** The account or organisation a change refers to does not exist. */
export class RegistryNotFoundError extends Error {
  constructor(
    readonly entity: 'account' | 'organisation',
    readonly id: string,
  ) {
    super(`no ${entity} with id ${id}`);
    this.name = 'RegistryNotFoundError';
  }
}
