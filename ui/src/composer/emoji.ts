// The emoji picker's data: categories, search by name, and the agent's recent ones.
import { EMOJI_DATA } from "./emojiData";

export type Emoji = { char: string; name: string; category: string };

export const EMOJI: Emoji[] = EMOJI_DATA.flatMap(({ id, list }) =>
  list.split("|").map((entry) => {
    const space = entry.indexOf(" ");
    return { char: entry.slice(0, space), name: entry.slice(space + 1), category: id };
  }),
);

export const CATEGORIES: string[] = EMOJI_DATA.map((c) => c.id);

const byChar = new Map(EMOJI.map((e) => [e.char, e]));

/** Emoji whose name has every word of the query as a word start ("thu up" → 👍). */
export function searchEmoji(query: string, list: Emoji[] = EMOJI): Emoji[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return list;
  return list.filter((e) => {
    const nameWords = e.name.split(/[\s-]+/);
    return words.every((w) => nameWords.some((n) => n.startsWith(w)) || e.name.startsWith(w));
  });
}

const KEY = "parley.emoji.recent";
export const MAX_RECENT = 16;

/** The agent's recently used emoji, newest first (only ones from the built-in list). */
export function loadRecent(storage: Storage | undefined = globalThis.localStorage): Emoji[] {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(KEY) ?? "[]");
    if (!Array.isArray(raw)) return [];
    return raw
      .map((c) => (typeof c === "string" ? byChar.get(c) : undefined))
      .filter((e): e is Emoji => !!e)
      .slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

/** Put `char` first in the recent list; returns the new list. */
export function rememberEmoji(char: string, storage: Storage | undefined = globalThis.localStorage): Emoji[] {
  const next = [char, ...loadRecent(storage).map((e) => e.char).filter((c) => c !== char)].slice(0, MAX_RECENT);
  try {
    storage?.setItem(KEY, JSON.stringify(next));
  } catch {
    /* private mode or full storage: recents just do not persist */
  }
  return loadRecent(storage);
}
