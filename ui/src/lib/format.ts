// Small pure formatting helpers shared by the inbox and the timeline. Words come from the
// i18n catalogue (en/format.ts) at call time, so they follow the chosen language.
import { en } from "./i18n/en";
import { t, type MessageKey } from "./i18n";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/**
 * One Intl formatter per set of options, made once: `toLocale…String(undefined, options)`
 * builds a new formatter on every call, which costs a frame when a scrolled timeline or inbox
 * formats a few hundred dates.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(options: Intl.DateTimeFormatOptions | undefined): Intl.DateTimeFormat {
  const key = JSON.stringify(options ?? {});
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, options);
    formatters.set(key, f);
  }
  return f;
}
const WEEKDAY: Intl.DateTimeFormatOptions = { weekday: "short" };
const DAY_MONTH: Intl.DateTimeFormatOptions = { day: "numeric", month: "short" };
const DAY_MONTH_YEAR: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", year: "numeric" };
const CLOCK: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit" };
const FULL: Intl.DateTimeFormatOptions = { year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" };
const LONG_DAY: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long", year: "numeric" };

/** "now", "5m", "3h", "Tue", "12 Mar", "12 Mar 2023": compact, for inbox rows. */
export function relativeTime(at: number, now: number = Date.now()): string {
  const d = now - at;
  if (d < MIN) return t("format.now");
  if (d < HOUR) return t("format.minutes", { count: Math.floor(d / MIN) });
  if (d < DAY) return t("format.hours", { count: Math.floor(d / HOUR) });
  const date = new Date(at);
  if (d < 7 * DAY) return formatter(WEEKDAY).format(date);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return formatter(sameYear ? DAY_MONTH : DAY_MONTH_YEAR).format(date);
}

export function clockTime(at: number): string {
  return formatter(CLOCK).format(at);
}

/** Date and time with seconds, as `toLocaleString()` writes them. */
export function fullTime(at: number): string {
  return formatter(FULL).format(at);
}

export function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", or a date. */
export function dayLabel(at: number, now: number = Date.now()): string {
  if (dayKey(at) === dayKey(now)) return t("format.today");
  if (dayKey(at) === dayKey(now - DAY)) return t("format.yesterday");
  return formatter(LONG_DAY).format(at);
}

export function initials(name: string): string {
  const parts = name
    .replace(/[@.].*$/, "")
    .split(/[\s_\-]+/)
    .filter((p) => /^[\p{L}\p{N}]/u.test(p));
  const letters = parts.length > 1 ? [parts[0]![0], parts[parts.length - 1]![0]] : [...(parts[0] ?? "?")].slice(0, 2);
  return letters.join("").toUpperCase() || "?";
}

/** A stable hue (0..359) for a name: the same person always gets the same colour. */
export function hueOf(seed: string): number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return Math.abs(h) % 360;
}

export function fileSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return t("format.size.B", { size: bytes });
  const units = ["format.size.KB", "format.size.MB", "format.size.GB"] as const;
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return t(units[i]!, { size: v < 10 ? v.toFixed(1) : Math.round(v) });
}

/** Only http(s) and mailto URLs ever reach an href or the browser. */
export function safeUrl(raw: unknown, allowMailto = true): string | null {
  if (typeof raw !== "string") return null;
  const s = raw.trim();
  try {
    const u = new URL(s);
    if (u.protocol === "http:" || u.protocol === "https:") return u.href;
    if (allowMailto && u.protocol === "mailto:") return u.href;
  } catch {
    return null;
  }
  return null;
}

/** A conversation status as a chip shows it ("Resolved"); an unknown status as it came. */
export function statusLabel(status: string): string {
  const key = `status.${status}`;
  return key in en ? t(key as MessageKey) : status;
}
