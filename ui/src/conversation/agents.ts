// The agents of an account, fetched once and shared by every conversation's assign menu.
import type { Agent, Ipc, Result } from "../lib/ipc/ipc";

const cache = new Map<string, Promise<Result<Agent[]>>>();

export function agentsFor(ipc: Ipc, accountId: string): Promise<Result<Agent[]>> {
  let p = cache.get(accountId);
  if (!p) {
    p = ipc.agents(accountId);
    cache.set(accountId, p);
    // A failure is not remembered: the next open asks again.
    void p.then(
      (r) => {
        if (r.status === "error") cache.delete(accountId);
      },
      () => cache.delete(accountId),
    );
  }
  return p;
}

export function clearAgents(): void {
  cache.clear();
}

export const agentLabel = (a: Agent): string => a.name || a.email || a.userId;

/** Available first, then by name. */
export function sortAgents(list: Agent[]): Agent[] {
  return [...list].sort((a, b) => Number(b.available) - Number(a.available) || agentLabel(a).localeCompare(agentLabel(b)));
}

export function matches(a: Agent, filter: string): boolean {
  const q = filter.trim().toLowerCase();
  if (!q) return true;
  return [a.name, a.email, a.userId].some((s) => !!s && s.toLowerCase().includes(q));
}
