// Which connection errors are worth retrying. A refused login or a certificate that does not verify
// will fail the same way on every retry: the first connection gives up on them at once.

/** Why a first connection will never succeed as configured. */
export type Refusal = 'credentials' | 'certificate';

const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** 'credentials' for WRONGPASS / NOAUTH / a password Redis does not expect, 'certificate' for TLS trust failures, else undefined (transient). */
export function refusalOf(err: unknown): Refusal | undefined {
  if (!(err instanceof Error)) return undefined;
  if (/^(WRONGPASS|NOAUTH)\b|invalid password|called without any password configured/i.test(err.message)) return 'credentials';
  const code = (err as NodeJS.ErrnoException).code ?? '';
  // ERR_SSL_*: the TLS handshake itself failed (the server refused our certificate, or spoke plain TCP).
  if (CERTIFICATE_CODES.has(code) || code.startsWith('ERR_SSL_') || /certificate/i.test(err.message)) return 'certificate';
  return undefined;
}

/** A first connection that was refused, or did not come up in time; its message holds no secret. */
export class ConnectError extends Error {
  constructor(
    message: string,
    /** Why it was refused; undefined for a timeout. */
    readonly refusal?: Refusal,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}
