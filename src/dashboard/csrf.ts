// CSRF protection of actions: a token only the page gets (it is in the page's HTML, which another
// site cannot read), required in the x-csrf-token header of every POST; a browser's
// Sec-Fetch-Site: cross-site is refused too. JSON bodies (415 otherwise) also keep plain HTML
// forms of other sites out.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-io';

export const CSRF_HEADER = 'x-csrf-token';

/** The CSRF token of one dashboard: random per createDashboard call. */
export class CsrfGuard {
  private readonly secret = randomBytes(32);
  readonly token = createHmac('sha256', this.secret).update('csrf').digest('base64url');

  /** @throws HttpError 403 unless the request carries the token and does not come from another site. */
  check(request: IncomingMessage): void {
    if (request.headers['sec-fetch-site'] === 'cross-site') throw new HttpError(403, 'cross-site requests may not act', 'csrf');
    const given = request.headers[CSRF_HEADER];
    const digest = (text: string) => createHash('sha256').update(text).digest();
    const ok = typeof given === 'string' && timingSafeEqual(digest(given), digest(this.token));
    if (!ok) throw new HttpError(403, `missing or wrong CSRF token (${CSRF_HEADER} header): reload the page`, 'csrf');
  }
}
