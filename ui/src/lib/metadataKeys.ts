// Metadata keys of the model that the UI reads: the same strings as
// `parley_core::model::keys` (a test in src-tauri compares the two).

/** The assignee's display name, when the platform sends it with the row. */
export const ASSIGNEE_NAME = "PARLEY_ASSIGNEE_NAME";
/** The conversation's tags, labels joined with ", ". */
export const TAGS = "PARLEY_TAGS";

/** The tags of a conversation's metadata, in order, without blanks or repeats. */
export function tagsOf(metadata: Partial<Record<string, string>>): string[] {
  const raw = metadata[TAGS] ?? "";
  return [...new Set(raw.split(",").map((t) => t.trim()).filter(Boolean))];
}
