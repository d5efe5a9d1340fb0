// Text splitting for safe rendering: never HTML, always spans and checked links.
import { safeUrl } from "./format";

export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const URL_RE = /\b(?:https?:\/\/|mailto:|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** Split text into plain text and links (http, https, mailto, www.). */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0];
    const trail = TRAILING.exec(raw);
    if (trail) raw = raw.slice(0, raw.length - trail[0].length);
    const start = m.index ?? 0;
    const href = safeUrl(raw.toLowerCase().startsWith("www.") ? `https://${raw}` : raw);
    if (!href || !raw) continue;
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "link", text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

export type Mark = { text: string; hit: boolean };

/** Split text into marked and unmarked parts for the given search terms (case-insensitive). */
export function highlight(text: string, terms: string): Mark[] {
  const words = terms
    .split(/\s+/)
    .map((w) => w.replace(/^["'*(]+|["'*)]+$/g, ""))
    .filter((w) => w.length > 0);
  if (!words.length || !text) return [{ text, hit: false }];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length);
  const re = new RegExp(`(${escaped.join("|")})`, "gi");
  const out: Mark[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const i = m.index ?? 0;
    if (i > last) out.push({ text: text.slice(last, i), hit: false });
    out.push({ text: m[0], hit: true });
    last = i + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), hit: false });
  return out;
}

/** A window of text around the first hit, so a long message shows where it matched. */
export function snippet(text: string, terms: string, width = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= width) return flat;
  const first = terms.split(/\s+/).find(Boolean)?.toLowerCase();
  const at = first ? flat.toLowerCase().indexOf(first) : -1;
  if (at < width / 3) return flat.slice(0, width) + "…";
  const start = Math.max(0, at - Math.floor(width / 3));
  return "…" + flat.slice(start, start + width) + (start + width < flat.length ? "…" : "");
}

/** True when a key press happens while the person is typing somewhere. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest("[contenteditable]:not([contenteditable='false'])")) return true;
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type);
  const tag = target.tagName;
  return tag === "TEXTAREA" || tag === "SELECT";
}
/** Inputs that take no typing: keys pressed on them are shortcuts like anywhere else. */
const NOT_TEXT = new Set(["button", "checkbox", "radio", "submit", "reset", "range", "color", "file", "image"]);
