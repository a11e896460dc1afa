// Escaping for the little the server writes into HTML itself (title, base path, the page's
// settings). Everything else (task names, taskInfos, errors) reaches the page as JSON and is put in
// the document as text nodes by the page's script, never as markup.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe inside an HTML element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * `value` as JSON safe inside a `<script type="application/json">` element: `<`, `>`, `&` and the
 * line separators U+2028/U+2029 as \u escapes, so no string in it can close the element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
