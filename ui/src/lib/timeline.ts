// Pure timeline bookkeeping: merge batches into a conversation's messages.
import type { Message, UiBatch } from "./ipc/ipc";

export function byTime(a: Message, b: Message): number {
  return a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Insert or replace by key; keep oldest-first order. */
export function mergeMessages(current: Message[], incoming: Message[]): Message[] {
  if (!incoming.length) return current;
  const map = new Map(current.map((m) => [m.key, m]));
  const added = [...incoming].sort(byTime);
  // An older page, or new messages at the end, none already here: a join, not a sort of the
  // whole thread (scrolling up a 5 k-message thread adds pages to thousands of messages).
  const seen = new Set<string>();
  let fresh = true;
  for (const m of added) {
    if (map.has(m.key) || seen.has(m.key)) fresh = false;
    seen.add(m.key);
  }
  if (fresh) {
    const first = current[0];
    const last = current[current.length - 1];
    if (!first || byTime(added[added.length - 1]!, first) < 0) return [...added, ...current];
    if (last && byTime(last, added[0]!) < 0) return [...current, ...added];
  }
  for (const m of incoming) map.set(m.key, m);
  return [...map.values()].sort(byTime);
}

/** Apply one batch (rekeys, removals, inserts/updates) to one conversation's messages. */
export function applyBatch(current: Message[], conversationId: string, batch: UiBatch): Message[] {
  let next = current;
  if (batch.rekeyed.length) {
    const renames = new Map(batch.rekeyed);
    const hasNew = new Set(next.map((m) => m.key));
    let changed = false;
    const out: Message[] = [];
    for (const m of next) {
      const to = renames.get(m.key);
      if (to === undefined) {
        out.push(m);
        continue;
      }
      changed = true;
      // The server copy already arrived: drop the echo rather than show it twice.
      if (!hasNew.has(to)) out.push({ ...m, key: to });
    }
    if (changed) next = out;
  }
  const gone = batch.removed.filter(([c]) => c === conversationId).map(([, k]) => k);
  if (gone.length) {
    const g = new Set(gone);
    next = next.filter((m) => !g.has(m.key));
  }
  let mine = batch.messages.filter((m) => m.conversationId === conversationId);
  if (mine.length) {
    // A server copy that carries our client key replaces the local echo, whether the echo is
    // shown already or comes in the same batch.
    const confirmed = new Set(
      mine.filter((m) => m.clientKey && m.key !== m.clientKey).map((m) => m.clientKey as string),
    );
    if (confirmed.size) {
      const settledEcho = (m: Message) => !!m.clientKey && m.key === m.clientKey && confirmed.has(m.clientKey);
      next = next.filter((m) => !settledEcho(m));
      mine = mine.filter((m) => !settledEcho(m));
    }
    next = mergeMessages(next, mine);
  }
  return next;
}
