// Who may use the dashboard: the shared token (header, cookie, or once in the page's address) and
// the app's own authorize hook. Runs before anything is read from Redis.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-io';
import type { DashboardAccess, DashboardOptions } from './options';

/** The cookie the token is kept in once given in the page's address. */
export const TOKEN_COOKIE = 'rs_dashboard_token';

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of String(request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function bearer(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(request.headers.authorization ?? ''));
  return match?.[1];
}

/**
 * Checks the token and the authorize hook. A page request carrying a right `?token=` gets the cookie
 * and a redirect to the address without it: then this returns false (the response is sent).
 * @throws HttpError 401 (no or wrong token) / 403 (refused by authorize)
 */
export async function admit(
  request: IncomingMessage,
  response: ServerResponse,
  options: DashboardOptions,
  access: DashboardAccess,
  url: URL,
  isPage: boolean,
): Promise<boolean> {
  if (options.token !== undefined) {
    // In the address only to open the page (then it moves to the cookie), so it stays out of API logs.
    const fromQuery = isPage ? url.searchParams.get('token') : null;
    const given = bearer(request) ?? fromQuery ?? cookieValue(request, TOKEN_COOKIE);
    if (given === undefined) throw new HttpError(401, 'this dashboard needs its token: open it with ?token=<token>, or send Authorization: Bearer <token>', 'token');
    if (!sameSecret(given, options.token)) throw new HttpError(401, 'wrong token', 'token');
    if (isPage && fromQuery !== null) {
      redirectWithCookie(request, response, options.token, url);
      return false;
    }
  }
  if (options.authorize) {
    let allowed: boolean;
    try {
      allowed = (await options.authorize(request, access)) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) throw new HttpError(403, access === 'action' ? 'you may not act on this dashboard' : 'you may not see this dashboard', 'forbidden');
  }
  return true;
}

/** Sets the token cookie for the dashboard's path and sends the browser to the address without `token`. */
function redirectWithCookie(request: IncomingMessage, response: ServerResponse, token: string, url: URL): void {
  const original = new URL((request as { originalUrl?: string }).originalUrl ?? request.url ?? '/', 'http://x');
  const path = original.pathname.endsWith('/') ? original.pathname : original.pathname.replace(/[^/]*$/, '');
  const secure = (request.socket as { encrypted?: boolean }).encrypted === true || request.headers['x-forwarded-proto'] === 'https';
  const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=${path}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  const rest = new URLSearchParams(url.searchParams);
  rest.delete('token');
  const query = rest.toString();
  response.writeHead(303, { location: query ? `./?${query}` : './', 'set-cookie': cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  response.end();
}
