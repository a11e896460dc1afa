// The dashboard's one HTML page: a shell whose inline script (client/*.js, no framework) fetches
// the JSON API and draws everything with DOM text nodes and inline SVG. Inline code runs only under
// the response's nonce (Content-Security-Policy), so markup that slipped into a task could not run.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml, jsonForScript } from './escape';

/** The page's scripts, in order; they share one function scope. */
const SCRIPT_FILES = ['dom.js', 'charts.js', 'api.js', 'views.js', 'task-views.js', 'app.js'];

/** What the page's script is told (JSON in the page). */
export interface PageSettings {
  title: string;
  refreshMs: number;
  lagThresholdMs: number;
  allowActions: boolean;
  pageSize: number;
  /** Sent back in the x-csrf-token header of actions. */
  csrfToken: string;
  metrics: boolean;
}

let assets: { script: string; style: string } | undefined;

function clientAssets(): { script: string; style: string } {
  if (!assets) {
    const dir = join(__dirname, 'client');
    const script = SCRIPT_FILES.map((file) => `// ---- ${file}\n${readFileSync(join(dir, file), 'utf8')}`).join('\n');
    assets = { script: `(function () {\n'use strict';\n${script}\n})();`, style: readFileSync(join(dir, 'style.css'), 'utf8') };
  }
  return assets;
}

/** A fresh nonce for one response. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The Content-Security-Policy of the page: only its own nonce'd script and style, fetches to itself. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function renderPage(settings: PageSettings, nonce: string): string {
  const { script, style } = clientAssets();
  const title = escapeHtml(settings.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style nonce="${nonce}">${style}</style>
</head>
<body>
<header class="top">
  <a class="brand" href="#/">${title}</a>
  <nav><a href="#/">Overview</a><a href="#/recurring">Recurring</a></nav>
  <span id="status" class="status" role="status"></span>
  <span id="updated" class="updated muted"></span>
</header>
<div id="banner" class="banner" hidden></div>
<main id="main"><p class="muted">Loading…</p></main>
<div id="viewer" class="viewer" hidden></div>
<script type="application/json" id="settings" nonce="${nonce}">${jsonForScript(settings)}</script>
<script nonce="${nonce}">${script}</script>
</body>
</html>
`;
}
