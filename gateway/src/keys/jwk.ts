/** A JSON Web Key as oidc-provider takes it (private members included). */
export type JWK = Record<string, string | string[] | undefined> & { kty: string; kid?: string };
