// Which palette commands match what was typed, best first.
import type { Command } from "../shortcuts/commands.svelte";

/**
 * Every typed word must occur in the command's label or keywords (case-insensitive). Labels
 * that start with the query come first, then those where every word starts a word, then the
 * rest; ties keep the registration order. Nothing typed: all, in order.
 */
export function matchCommand(list: Command[], terms: string): Command[] {
  const words = terms.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return list;
  const whole = words.join(" ");
  const scored: { cmd: Command; score: number; i: number }[] = [];
  list.forEach((cmd, i) => {
    const label = cmd.label().toLowerCase();
    const hay = `${label} ${(cmd.keywords ?? "").toLowerCase()}`;
    if (!words.every((w) => hay.includes(w))) return;
    const starts = hay.split(/[^\p{L}\p{N}]+/u);
    const score = label.startsWith(whole) ? 0 : words.every((w) => starts.some((s) => s.startsWith(w))) ? 1 : 2;
    scored.push({ cmd, score, i });
  });
  return scored.sort((a, b) => a.score - b.score || a.i - b.i).map((s) => s.cmd);
}
