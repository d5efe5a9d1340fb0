// The group screen's shared state: the list beside the pane (groups, open groups, contact
// lists) and what is selected in it. The list is always the cache's copy (`groups()`), read
// again after every action and whenever a batch names a group, so changes made elsewhere (other
// devices, other admins) show up by themselves.
import type { Contact, Conversation, Ipc, UiBatch } from "../lib/ipc/ipc";
import type { BatchHub } from "../lib/batches";
import { perFrame } from "../lib/frame";
import { CONTACT_LIST_TYPE } from "./model";

export type GroupsTab = "groups" | "open" | "lists";

export class GroupsState {
  tab = $state<GroupsTab>("groups");
  groups = $state<Conversation[]>([]);
  loaded = $state(false);
  loadError = $state<string | null>(null);
  selectedId = $state<string | null>(null);

  openGroups = $state<Conversation[]>([]);
  openLoaded = $state(false);
  openLoading = $state(false);
  openError = $state<string | null>(null);
  openSelectedId = $state<string | null>(null);

  list = $state<string>("friends");
  /** The "new group" form is open. */
  creating = $state(false);
  /** What the last action did, once it took the group away (deleted, left). */
  notice = $state<string | null>(null);

  /** People met so far (pickers, lists, look-ups), by user id: how members are named. */
  people = $state<Record<string, Contact>>({});

  readonly ipc: Ipc;
  readonly accountId: string;
  readonly me: string;
  readonly myName: string;
  readonly #hub: BatchHub;
  #seq = 0;
  /** `g:` ids a batch named that turned out not to be groups (support conversations). */
  readonly #notGroups = new Set<string>();
  /** `g:` ids named by batches since the last read. */
  #named = new Set<string>();
  /** Ids already looked up (found or not): asked once. */
  readonly #looked = new Set<string>();
  readonly #refresher = perFrame(() => void this.load());

  constructor(ipc: Ipc, account: { id: string; userId: string; displayName: string | null }, hub: BatchHub) {
    this.ipc = ipc;
    this.accountId = account.id;
    this.me = account.userId;
    this.myName = account.displayName?.trim() || account.userId;
    this.#hub = hub;
  }

  /** Load and follow batches while the screen is up; the returned function stops following. */
  start(): () => void {
    void this.load();
    const off = this.#hub.subscribe((b) => this.onBatch(b));
    return () => {
      off();
      this.#refresher.cancel();
    };
  }

  get selected(): Conversation | null {
    return this.groups.find((g) => g.id === this.selectedId) ?? null;
  }

  get openSelected(): Conversation | null {
    return this.openGroups.find((g) => g.id === this.openSelectedId) ?? null;
  }

  /** Read the groups from the cache again. */
  async load(): Promise<void> {
    const mine = ++this.#seq;
    const named = this.#named;
    this.#named = new Set();
    const r = await this.ipc.groups(this.accountId);
    if (mine !== this.#seq) return;
    this.loaded = true;
    if (r.status === "error") {
      this.loadError = r.error.message;
      return;
    }
    this.loadError = null;
    const groups = r.data.filter((c) => c.groupType !== CONTACT_LIST_TYPE);
    this.groups = groups;
    const ids = new Set(groups.map((g) => g.id));
    for (const id of named) if (!ids.has(id)) this.#notGroups.add(id);
    if (this.selectedId && !ids.has(this.selectedId)) this.selectedId = null;
    void this.lookUp(groups.flatMap((g) => g.members.map((m) => m.userId)));
  }

  /** A batch names conversations: read again when one of them is (or may be) a group. */
  onBatch(b: UiBatch): void {
    if (b.accountId !== this.accountId) return;
    const known = new Set(this.groups.map((g) => g.id));
    let again = false;
    for (const id of b.conversations) {
      if (!id.startsWith("g:")) continue;
      if (known.has(id) || !this.#notGroups.has(id)) {
        this.#named.add(id);
        again = true;
      }
    }
    if (again) this.#refresher.schedule();
  }

  /** Put a group as the server answered into the list at once (the cache holds it too). */
  put(c: Conversation): void {
    const i = this.groups.findIndex((g) => g.id === c.id);
    if (i >= 0) this.groups[i] = c;
  }

  async loadOpenGroups(): Promise<void> {
    this.openLoading = true;
    const r = await this.ipc.openGroups(this.accountId);
    this.openLoading = false;
    this.openLoaded = true;
    if (r.status === "error") {
      this.openError = r.error.message;
      return;
    }
    this.openError = null;
    this.openGroups = r.data;
    if (this.openSelectedId && !r.data.some((g) => g.id === this.openSelectedId)) this.openSelectedId = null;
  }

  /** How a person is named on screen: their display name when known, else their id. */
  nameOf(userId: string): string {
    if (userId === this.me) return this.myName;
    return this.people[userId]?.displayName?.trim() || userId;
  }

  isMember(c: Conversation): boolean {
    return this.groups.some((g) => g.id === c.id) || c.members.some((m) => m.userId === this.me);
  }

  remember(people: Contact[]): void {
    for (const p of people) {
      this.#looked.add(p.userId);
      this.people[p.userId] = p;
    }
  }

  /**
   * Names for these people: each unknown id is searched once (the search reads the cache after
   * its first call loads the application's users), taking only an exact id match.
   */
  async lookUp(ids: string[]): Promise<void> {
    const todo = [...new Set(ids)].filter((id) => !this.#looked.has(id) && id !== this.me).slice(0, 50);
    for (const id of todo) this.#looked.add(id);
    for (const id of todo) {
      const r = await this.ipc.searchPeople(this.accountId, id, 5);
      if (r.status !== "ok") continue;
      const hit = r.data.find((c) => c.userId === id);
      if (hit) this.people[id] = hit;
    }
  }
}
