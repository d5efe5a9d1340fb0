// Choices and conversions for the notification settings: quiet hours are kept as minutes since
// local midnight (what the shell compares with the clock), shown as <input type="time"> values.
import type { MessageKey } from "../lib/i18n";

export const DEFAULT_QUIET_FROM = 22 * 60;
export const DEFAULT_QUIET_TO = 7 * 60;
const DAY_MINUTES = 24 * 60;

/** 0…1439 → "HH:MM" (what a time input holds). */
export function minutesToTime(minutes: number): string {
  const m = ((Math.floor(minutes) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** "HH:MM" or "HH:MM:SS" → minutes since midnight; anything else (an unfinished entry) → null. */
export function timeToMinutes(value: string): number | null {
  const match = /^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(value.trim());
  if (!match) return null;
  const h = Number(match[1]);
  const m = Number(match[2]);
  if (h > 23 || m > 59) return null;
  return h * 60 + m;
}

/** The notification sounds Parley offers (freedesktop sound theme names) and their labels. */
export const SOUNDS: { name: string; label: MessageKey }[] = [
  { name: "message-new-instant", label: "settings.sound.message" },
  { name: "bell", label: "settings.sound.bell" },
  { name: "complete", label: "settings.sound.complete" },
  { name: "dialog-information", label: "settings.sound.information" },
];

/** Repeat-until-read choices in minutes (0: off). */
export const REPEAT_CHOICES = [0, 2, 5, 10, 15];
