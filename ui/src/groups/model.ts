// Pure helpers of the group screen: kinds and their platform codes, roles, mute periods,
// metadata rows, and how a person is named.
import type { Contact, Conversation, GroupKind, Role } from "../lib/ipc/ipc";
import type { MessageKey } from "../lib/i18n";

/** What the main area shows: the inbox (with the open conversation) or the group screen. */
export type Screen = "inbox" | "groups";

/** Every user-facing kind, in the order the form offers them, with the platform's group type. */
export const KINDS: { kind: GroupKind; code: number; label: MessageKey; hint: MessageKey }[] = [
  { kind: "private", code: 1, label: "groups.kind.private", hint: "groups.kind.private.hint" },
  { kind: "public", code: 2, label: "groups.kind.public", hint: "groups.kind.public.hint" },
  { kind: "open", code: 6, label: "groups.kind.open", hint: "groups.kind.open.hint" },
  { kind: "broadcast", code: 5, label: "groups.kind.broadcast", hint: "groups.kind.broadcast.hint" },
  { kind: "support", code: 10, label: "groups.kind.support", hint: "groups.kind.support.hint" },
];

/** Applozic's contact lists ("friends", "favourites") are groups of this type: not shown as groups. */
export const CONTACT_LIST_TYPE = 9;

/** The agent's contact lists on the "Lists" tab. */
export const CONTACT_LISTS: { name: string; label: MessageKey }[] = [
  { name: "friends", label: "groups.lists.friends" },
  { name: "favourites", label: "groups.lists.favourites" },
];

export function kindOf(groupType: number): GroupKind | null {
  return KINDS.find((k) => k.code === groupType)?.kind ?? null;
}

export function kindLabel(groupType: number): MessageKey {
  return KINDS.find((k) => k.code === groupType)?.label ?? "groups.kind.other";
}

/** Roles a member can be given here (the platform's fourth, "user", is shown but not offered). */
export const ROLES: { role: Role; label: MessageKey }[] = [
  { role: "admin", label: "groups.role.admin" },
  { role: "moderator", label: "groups.role.moderator" },
  { role: "member", label: "groups.role.member" },
];

export function roleLabel(role: Role): MessageKey {
  return ROLES.find((r) => r.role === role)?.label ?? "groups.role.user";
}

const HOUR = 3_600_000;

/**
 * "Until unmuted": the platform has no such flag, only a time after which notifications resume
 * (`notificationAfterTime`); the last millisecond of the year 9999 is a time that never comes.
 */
export const MUTED_FOR_GOOD = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export const MUTE_PERIODS: { id: string; label: MessageKey; ms: number | null }[] = [
  { id: "1h", label: "groups.mute.1h", ms: HOUR },
  { id: "8h", label: "groups.mute.8h", ms: 8 * HOUR },
  { id: "24h", label: "groups.mute.24h", ms: 24 * HOUR },
  { id: "week", label: "groups.mute.week", ms: 7 * 24 * HOUR },
  { id: "forever", label: "groups.mute.forever", ms: null },
];

/** The time a mute period chosen `now` ends. */
export function muteEnd(period: { ms: number | null }, now: number = Date.now()): number {
  return period.ms === null ? MUTED_FOR_GOOD : now + period.ms;
}

export function isMuted(c: Pick<Conversation, "mutedUntil">, now: number = Date.now()): boolean {
  return c.mutedUntil !== null && c.mutedUntil > now;
}

/** A mute ending more than ten years from now was meant "until unmuted". */
export function mutedForGood(until: number, now: number = Date.now()): boolean {
  return until - now > 10 * 365 * 24 * HOUR;
}

/** "14:30" today, else "Tue 12 Mar, 14:30". */
export function when(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  if (new Date(now).toDateString() === d.toDateString()) {
    return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
  return d.toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

export type MetaRow = { id: number; key: string; value: string };

let rowSeq = 0;
export function metaRows(meta: Partial<Record<string, string>>): MetaRow[] {
  return Object.entries(meta)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([key, value]) => ({ id: ++rowSeq, key, value: value ?? "" }));
}

export function newMetaRow(): MetaRow {
  return { id: ++rowSeq, key: "", value: "" };
}

/**
 * Rows as metadata, or why not. Blank rows are dropped; keys are trimmed and must be unique.
 * `before` (the group's current entries) turns a removed key into an empty value: the platform
 * merges metadata, so emptying is the only way to take an entry away.
 */
export function rowsToMetadata(
  rows: MetaRow[],
  before: Partial<Record<string, string>> = {},
): { ok: true; metadata: Record<string, string> } | { ok: false; problem: "key" | "twice"; rowId: number } {
  const out: Record<string, string> = {};
  for (const r of rows) {
    const key = r.key.trim();
    if (!key && !r.value.trim()) continue;
    if (!key) return { ok: false, problem: "key", rowId: r.id };
    if (key in out) return { ok: false, problem: "twice", rowId: r.id };
    out[key] = r.value;
  }
  for (const [k, v] of Object.entries(before)) if (v && !(k in out)) out[k] = "";
  return { ok: true, metadata: out };
}

/** Only the entries that differ from `before` (what an update needs to send). */
export function changedMetadata(next: Record<string, string>, before: Partial<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(next)) if ((before[k] ?? "") !== v) out[k] = v;
  return out;
}

export function personName(c: Contact | undefined, userId: string): string {
  return c?.displayName?.trim() || userId;
}
