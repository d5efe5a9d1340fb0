// Inline errors of the composer's forms: element ids and which errors show when.
import type { Errors } from "./richForm";

/** The element id of a rich form field (`cards.0.title` → `rich-cards-0-title`). */
export const fieldId = (path: string): string => `rich-${path.replaceAll(".", "-")}`;
export const errorId = (path: string): string => `${fieldId(path)}-error`;

/** A field's error to show: format errors at once, "required" ones after a send attempt. */
export function shownError(errors: Errors, path: string, attempted: boolean): string | null {
  const e = errors[path];
  if (!e) return null;
  return e.required && !attempted ? null : e.text;
}
