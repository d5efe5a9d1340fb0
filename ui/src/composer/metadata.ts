// The composer's extra message metadata: the hidden-note flag and the agent's own key/value rows.
import { t } from "../lib/i18n";

/** Keys Parley, the rich composer or the platform set themselves (the core refuses some too). */
export const RESERVED_KEYS = [
  "contentType",
  "templateId",
  "payload",
  "category",
  "skipBot",
  "PARLEY_CLIENT_KEY",
  "AL_DELETE_GROUP_MESSAGE_FOR_ALL",
  "KM_ASSIGN",
  "KM_ASSIGN_TO",
  "KM_ASSIGN_TEAM",
  "KM_STATUS",
];
export const MAX_ROWS = 20;
export const MAX_KEY = 100;
export const MAX_VALUE = 2000;

export type MetaRow = { key: string; value: string };

export type CheckedMeta = {
  /** The metadata to send, or null while a row has a problem. */
  metadata: Record<string, string> | null;
  /** A problem by row index. */
  errors: Record<number, string>;
};

/** Check the rows (blank ones are ignored) and add `category: HIDDEN` for a hidden note. */
export function extraMetadata(rows: MetaRow[], hidden: boolean): CheckedMeta {
  const errors: Record<number, string> = {};
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (!key && !row.value.trim()) return;
    if (!key) errors[i] = t("composer.meta.keyRequired");
    else if ([...key].length > MAX_KEY || /[\u0000-\u001f\u007f]/.test(key)) errors[i] = t("composer.meta.keyInvalid", { max: MAX_KEY });
    else if (RESERVED_KEYS.some((r) => r.toLowerCase() === key.toLowerCase())) errors[i] = t("composer.meta.reserved", { key });
    else if (Object.hasOwn(out, key)) errors[i] = t("composer.meta.duplicate", { key });
    else if ([...row.value].length > MAX_VALUE) errors[i] = t("composer.meta.valueTooLong", { max: MAX_VALUE });
    else out[key] = row.value;
  });
  if (hidden) out.category = "HIDDEN";
  return { metadata: Object.keys(errors).length ? null : { ...out }, errors };
}
