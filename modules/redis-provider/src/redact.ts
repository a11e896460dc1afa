// Secrets never reach a log line or an error message: URLs are shown with their password masked, and
// any text the provider logs is scrubbed of every configured password.

const MASK = '***';

/** `redis://user:secret@host:6379` → `redis://user:***@host:6379`; a URL without a password is unchanged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = MASK;
    return parsed.toString().replace(`:${encodeURIComponent(MASK)}@`, `:${MASK}@`);
  } catch {
    // Not a URL: show the scheme only, in case the rest holds a password.
    return `${/^[a-z]+:\/\//i.exec(url)?.[0] ?? ''}${MASK}`;
  }
}

/** Removes every configured secret (as written, and percent-decoded or encoded) from a text. */
export class Redactor {
  private readonly secrets: string[];

  constructor(passwords: Array<string | undefined>) {
    const forms = new Set<string>();
    for (const password of passwords) {
      if (!password) continue;
      forms.add(password);
      forms.add(encodeURIComponent(password));
      try {
        forms.add(decodeURIComponent(password));
      } catch {
        // not percent-encoded: the raw form is enough
      }
    }
    // Longest first, so a secret containing another is masked whole.
    this.secrets = [...forms].sort((a, b) => b.length - a.length);
  }

  /** `text` with every secret replaced by `***`. */
  scrub(text: string): string {
    let clean = text;
    for (const secret of this.secrets) clean = clean.split(secret).join(MASK);
    return clean;
  }
}

/** The passwords a URL carries (percent-decoded), for a Redactor. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}
