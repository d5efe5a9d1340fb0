// Pure helpers of the contact panel: presence text, the attribute table, and the edit form's
// update (only what changed is sent; attributes merge on the server).
import type { Contact, ContactUpdate } from "../lib/ipc/ipc";
import { t, tn } from "../lib/i18n";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** "Online", "Last seen 5 min ago", "Last seen 3 hours ago", "Last seen 12 Mar", or "Offline". */
export function presenceText(c: Pick<Contact, "online" | "lastSeenAt">, now: number = Date.now()): string {
  if (c.online) return t("contacts.online");
  if (c.lastSeenAt === null) return t("contacts.offline");
  const d = Math.max(0, now - c.lastSeenAt);
  if (d < MIN) return t("contacts.lastSeen.now");
  if (d < HOUR) return t("contacts.lastSeen.minutes", { count: Math.floor(d / MIN) });
  if (d < DAY) return tn("contacts.lastSeen.hours", Math.floor(d / HOUR));
  if (d < 7 * DAY) return tn("contacts.lastSeen.days", Math.floor(d / DAY));
  const date = new Date(c.lastSeenAt);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return t("contacts.lastSeen.date", {
    date: date.toLocaleDateString(undefined, sameYear ? { day: "numeric", month: "short" } : { day: "numeric", month: "short", year: "numeric" }),
  });
}

/**
 * The custom attributes to show, by name. An attribute whose value is empty is one an agent
 * removed (the platform merges attributes, so removing one stores it empty).
 */
export function attributes(metadata: Partial<Record<string, string>>): [string, string][] {
  return Object.entries(metadata)
    .filter((e): e is [string, string] => typeof e[1] === "string" && e[1].trim() !== "")
    .sort(([a], [b]) => a.localeCompare(b));
}

/** One row of the edit form's attribute table; `from` is the attribute it started as. */
export interface AttributeRow {
  id: number;
  key: string;
  value: string;
  from: string | null;
}

export interface ProfileForm {
  displayName: string;
  email: string;
  phone: string;
  /** The picture's URL: unchanged, a new upload, or "" to remove it. */
  imageUrl: string;
  rows: AttributeRow[];
}

let rowSeq = 0;
export function newRow(key = "", value = "", from: string | null = null): AttributeRow {
  rowSeq += 1;
  return { id: rowSeq, key, value, from };
}

export function formOf(c: Contact): ProfileForm {
  return {
    displayName: c.displayName ?? "",
    email: c.email ?? "",
    phone: c.phone ?? "",
    imageUrl: c.imageUrl ?? "",
    rows: attributes(c.metadata).map(([k, v]) => newRow(k, v, k)),
  };
}

/** Problems with attribute rows, by row id (names are required and unique). */
export function rowProblems(rows: AttributeRow[]): Record<number, string> {
  const out: Record<number, string> = {};
  const seen = new Map<string, number>();
  for (const r of rows) {
    const key = r.key.trim();
    if (!key) {
      if (r.value.trim()) out[r.id] = t("contacts.attributeKeyRequired");
      continue;
    }
    if (seen.has(key)) out[r.id] = t("contacts.attributeKeyTwice");
    else seen.set(key, r.id);
  }
  return out;
}

/**
 * The update to send: only the fields that changed (a cleared field is sent empty), the
 * attributes that were added or changed, and removed ones set empty. `null`: nothing changed.
 */
export function buildUpdate(c: Contact, f: ProfileForm): ContactUpdate | null {
  const changed = (now: string, was: string | null) => (now.trim() === (was ?? "").trim() ? null : now.trim());
  const update: ContactUpdate = {
    displayName: changed(f.displayName, c.displayName),
    email: changed(f.email, c.email),
    phone: changed(f.phone, c.phone),
    imageUrl: changed(f.imageUrl, c.imageUrl),
    metadata: {},
  };
  const kept = new Set<string>();
  for (const r of f.rows) {
    const key = r.key.trim();
    if (!key) continue;
    kept.add(key);
    const value = r.value.trim();
    if ((c.metadata[key] ?? "") !== value) update.metadata[key] = value;
  }
  for (const [key] of attributes(c.metadata)) if (!kept.has(key)) update.metadata[key] = "";
  const any =
    update.displayName !== null ||
    update.email !== null ||
    update.phone !== null ||
    update.imageUrl !== null ||
    Object.keys(update.metadata).length > 0;
  return any ? update : null;
}
