import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import Shell from "../shell/Shell.svelte";
import type { AppError, Contact, Conversation } from "../lib/ipc/ipc";
import { ME, account, conversation, createMockIpc, emptyBatch, type MockIpc, type MockOptions } from "../lib/ipc/mock";
import { MUTED_FOR_GOOD } from "./model";

const HOUR = 3_600_000;

function person(userId: string, displayName: string): Contact {
  return { userId, displayName, email: userId, phone: null, imageUrl: null, metadata: {}, online: false, lastSeenAt: null, roleType: 3 };
}

const PEOPLE = {
  "sam@parley.test": person("sam@parley.test", "Sam Support"),
  "lee@parley.test": person("lee@parley.test", "Lee Billing"),
  "kim@parley.test": person("kim@parley.test", "Kim Keller"),
};

function groupsFixture(): Conversation[] {
  return [
    conversation({
      id: "g:201",
      title: "Support team",
      groupType: 2,
      assignee: null,
      customerId: null,
      metadata: { team: "tier-1" },
      members: [
        { userId: ME, role: "admin" },
        { userId: "sam@parley.test", role: "member" },
        { userId: "lee@parley.test", role: "moderator" },
      ],
    }),
    conversation({
      id: "g:202",
      title: "Escalations",
      groupType: 1,
      assignee: null,
      customerId: null,
      members: [
        { userId: ME, role: "admin" },
        { userId: "sam@parley.test", role: "member" },
      ],
    }),
    // A support conversation: never listed as a group.
    conversation({ id: "g:1", title: "Customer chat", groupType: 10 }),
  ];
}

const forbidden = (what: string): AppError => ({
  code: "forbidden",
  message: `You are not allowed to do that here. The server says: ${what}.`,
  field: null,
});

async function setup(over: MockOptions = {}): Promise<MockIpc> {
  const ipc = createMockIpc({ accounts: [account()], conversations: groupsFixture(), people: PEOPLE, ...over });
  render(Shell, {
    ipc,
    account: account(),
    accounts: [account()],
    onSwitch: () => {},
    onAddAccount: () => {},
    onSignOut: async () => null,
  });
  await fireEvent.click(document.querySelector("#groups-button")!);
  await vi.waitFor(() => expect(rows().length).toBeGreaterThan(0));
  return ipc;
}

const rows = () => [...document.querySelectorAll<HTMLElement>("#group-list [data-group-id]")];
const rowIds = () => rows().map((r) => r.dataset.groupId);
const el = <T extends HTMLElement = HTMLElement>(css: string) => document.querySelector<T>(css)!;
const calls = (ipc: MockIpc, name: string) => ipc.calls.people.filter((c) => c[0] === name);

async function open(id: string) {
  await fireEvent.click(el(`#group-list [data-group-id="${id}"]`));
  await vi.waitFor(() => expect(document.querySelector(`[data-group="${id}"]`)).not.toBeNull());
}

/** Search in the picker `css` and click the person found. */
async function pickPerson(css: string, terms: string, userId: string) {
  await fireEvent.input(el<HTMLInputElement>(css), { target: { value: terms } });
  const hit = await vi.waitFor(() => {
    const h = document.querySelector<HTMLElement>(`${css}-results [data-person-id="${userId}"]`);
    expect(h).not.toBeNull();
    return h!;
  });
  await fireEvent.click(hit);
}

const memberRow = (userId: string) => document.querySelector<HTMLElement>(`#group-members [data-member-id="${userId}"]`);

describe("the group screen", () => {
  it("opens from the rail with the agent's groups (not support conversations) and goes back to the inbox", async () => {
    await setup();
    expect(rowIds()).toEqual(["g:202", "g:201"]);
    expect(rows()[1]!.textContent).toContain("Support team");
    expect(rows()[1]!.textContent).toContain("3 members");
    expect(el("#groups-button").getAttribute("aria-current")).toBe("page");
    await fireEvent.click(el("#groups-back"));
    expect(document.querySelector("#group-list")).toBeNull();
    expect(el("#inbox-button").getAttribute("aria-current")).toBe("page");
  });

  it("creates a group of the chosen kind with two members picked by search, and shows it", async () => {
    const ipc = await setup();
    await fireEvent.click(el("#new-group"));
    expect(el<HTMLDialogElement>("dialog#group-form").open).toBe(true);
    const kinds = [...el<HTMLSelectElement>("#group-kind").options].map((o) => o.value);
    expect(kinds).toEqual(["private", "public", "open", "broadcast", "support"]);

    await fireEvent.input(el("#group-name"), { target: { value: "  Night shift  " } });
    await fireEvent.change(el("#group-kind"), { target: { value: "broadcast" } });
    await pickPerson("#member-search", "sam", "sam@parley.test");
    await pickPerson("#member-search", "billing", "lee@parley.test");
    // Chosen people are chips, and no longer offered.
    expect([...document.querySelectorAll<HTMLElement>("[data-member-chip]")].map((c) => c.dataset.memberChip)).toEqual([
      "sam@parley.test",
      "lee@parley.test",
    ]);
    await fireEvent.input(el("#member-search"), { target: { value: "parley.test" } });
    await vi.waitFor(() => expect(document.querySelector('#member-search-results [data-person-id="kim@parley.test"]')).not.toBeNull());
    expect(document.querySelector('#member-search-results [data-person-id="sam@parley.test"]')).toBeNull();

    await fireEvent.click(el("#group-meta-add"));
    await fireEvent.input(el("#group-meta-key-0"), { target: { value: "shift" } });
    await fireEvent.input(el("#group-meta-value-0"), { target: { value: "22-06" } });
    await fireEvent.click(el("#group-create"));

    await vi.waitFor(() => expect(calls(ipc, "createGroup")).toHaveLength(1));
    expect(calls(ipc, "createGroup")[0]![1]).toEqual({
      name: "Night shift",
      kind: "broadcast",
      members: ["sam@parley.test", "lee@parley.test"],
      imageUrl: null,
      metadata: { shift: "22-06" },
    });
    await vi.waitFor(() => expect(document.querySelector("dialog#group-form")).toBeNull());
    const created = rows().find((r) => r.textContent?.includes("Night shift"))!;
    expect(created.getAttribute("aria-current")).toBe("true");
    expect(el("#group-title").textContent).toBe("Night shift");
    expect(created.textContent).toContain("Broadcast");
  });

  it("asks for a name before sending anything, and uploads a picture for the new group", async () => {
    const ipc = await setup();
    await fireEvent.click(el("#new-group"));
    await fireEvent.click(el("#group-create"));
    expect(el("#group-name-error").textContent).toBe("Give the group a name.");
    expect(calls(ipc, "createGroup")).toEqual([]);

    const input = el<HTMLInputElement>("#group-image");
    const file = new File([new Uint8Array([137, 80, 78, 71])], "logo.png", { type: "image/png" });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    await fireEvent.change(input);
    await vi.waitFor(() => expect(calls(ipc, "uploadImage")).toEqual([["uploadImage", "logo.png"]]));
    await vi.waitFor(() => expect(calls(ipc, "imagePreview")).toHaveLength(1));
    // The preview cannot be shown (another server): the initials stand in.
    expect(el("dialog#group-form .initials")).toBeTruthy();

    await fireEvent.input(el("#group-name"), { target: { value: "Design" } });
    await fireEvent.click(el("#group-create"));
    await vi.waitFor(() => expect(calls(ipc, "createGroup")).toHaveLength(1));
    expect((calls(ipc, "createGroup")[0]![1] as { imageUrl: string }).imageUrl).toBe("http://127.0.0.1:18080/rest/ws/aws/file/img-logo.png");
  });

  it("renames a group inline and the list shows the new name", async () => {
    const ipc = await setup();
    await open("g:202");
    await fireEvent.click(el("#group-rename"));
    const input = el<HTMLInputElement>("#group-rename-input");
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: "Tier 2" } });
    await fireEvent.submit(input.form!);
    await vi.waitFor(() => expect(el("#group-title").textContent).toBe("Tier 2"));
    expect(calls(ipc, "updateGroup")).toEqual([["updateGroup", "g:202", { name: "Tier 2", imageUrl: null, metadata: null }]]);
    expect(el('#group-list [data-group-id="g:202"]').textContent).toContain("Tier 2");
  });

  it("changes the picture: uploads it, then sets it on the group", async () => {
    const ipc = await setup();
    await open("g:202");
    const input = el<HTMLInputElement>("#group-image-change");
    const file = new File([new Uint8Array([255, 216, 255])], "team.jpg", { type: "image/jpeg" });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    await fireEvent.change(input);
    await vi.waitFor(() => expect(calls(ipc, "updateGroup")).toHaveLength(1));
    expect(calls(ipc, "uploadImage")).toEqual([["uploadImage", "team.jpg"]]);
    expect(calls(ipc, "updateGroup")[0]).toEqual([
      "updateGroup",
      "g:202",
      { name: null, imageUrl: "http://127.0.0.1:18080/rest/ws/aws/file/img-team.jpg", metadata: null },
    ]);
  });

  it("leaves a group after the confirmation", async () => {
    const ipc = await setup();
    await open("g:201");
    await fireEvent.click(el("#group-leave"));
    expect(el("#group-confirm-title").textContent).toContain("Leave “Support team”?");
    await fireEvent.click(el("#group-confirm-ok"));
    await vi.waitFor(() => expect(rowIds()).toEqual(["g:202"]));
    expect(calls(ipc, "leaveGroup")).toEqual([["leaveGroup", "g:201"]]);
    expect(el("#groups-notice").textContent).toBe("You left “Support team”.");
  });

  it("changes a member's role", async () => {
    const ipc = await setup();
    await open("g:201");
    const select = memberRow("lee@parley.test")!.querySelector<HTMLSelectElement>(".member-role")!;
    expect(select.value).toBe("moderator");
    await fireEvent.change(select, { target: { value: "admin" } });
    await vi.waitFor(() => expect(memberRow("lee@parley.test")!.dataset.role).toBe("admin"));
    expect(calls(ipc, "setMemberRole")).toEqual([["setMemberRole", "g:201", "lee@parley.test", "admin"]]);
  });

  it("removes a member, and adds one with a role", async () => {
    const ipc = await setup();
    await open("g:201");
    expect(memberRow("sam@parley.test")!.textContent).toContain("Sam Support");
    // Removing asks first; Cancel keeps them.
    await fireEvent.click(memberRow("sam@parley.test")!.querySelector(".remove-member")!);
    expect(el("#group-confirm-title").textContent).toContain("Remove Sam Support from “Support team”?");
    await fireEvent.click(el("#group-confirm-cancel"));
    expect(calls(ipc, "removeGroupMember")).toEqual([]);
    expect(memberRow("sam@parley.test")).toBeTruthy();
    await fireEvent.click(memberRow("sam@parley.test")!.querySelector(".remove-member")!);
    await fireEvent.click(el("#group-confirm-ok"));
    await vi.waitFor(() => expect(memberRow("sam@parley.test")).toBeNull());
    expect(calls(ipc, "removeGroupMember")).toEqual([["removeGroupMember", "g:201", "sam@parley.test"]]);
    expect(el('#group-list [data-group-id="g:201"]').textContent).toContain("2 members");

    await fireEvent.change(el("#add-member-role"), { target: { value: "moderator" } });
    await pickPerson("#add-member-search", "kim", "kim@parley.test");
    await vi.waitFor(() => expect(memberRow("kim@parley.test")?.dataset.role).toBe("moderator"));
    expect(calls(ipc, "addGroupMember")).toEqual([["addGroupMember", "g:201", "kim@parley.test", "moderator"]]);
  });

  it("deletes a group only after the confirmation", async () => {
    const ipc = await setup();
    await open("g:202");
    await fireEvent.click(el("#group-delete"));
    expect(el<HTMLDialogElement>("dialog#group-confirm").open).toBe(true);
    expect(el("#group-confirm-title").textContent).toContain("Delete “Escalations”?");
    await fireEvent.click(el("#group-confirm-cancel"));
    expect(document.querySelector("dialog#group-confirm")).toBeNull();
    expect(calls(ipc, "deleteGroup")).toEqual([]);

    await fireEvent.click(el("#group-delete"));
    await fireEvent.click(el("#group-confirm-ok"));
    await vi.waitFor(() => expect(rowIds()).toEqual(["g:201"]));
    expect(calls(ipc, "deleteGroup")).toEqual([["deleteGroup", "g:202"]]);
    expect(el("#groups-notice").textContent).toBe("“Escalations” is deleted.");
  });

  it("shows the platform's refusal by the action and changes nothing", async () => {
    const ipc = await setup({
      failPeople: {
        deleteGroup: forbidden("only admins may delete this group"),
        removeGroupMember: forbidden("only admins may remove members"),
        setMemberRole: forbidden("only admins may change roles"),
      },
    });
    await open("g:201");
    const before = rowIds();
    const groupsRead = calls(ipc, "groups").length;

    await fireEvent.click(el("#group-delete"));
    await fireEvent.click(el("#group-confirm-ok"));
    const alert = await vi.waitFor(() => el("#group-action-error"));
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toBe(
      "The group was not deleted: You are not allowed to do that here. The server says: only admins may delete this group.",
    );
    await vi.waitFor(() => expect(document.activeElement?.id).toBe("group-delete"));

    await fireEvent.click(memberRow("sam@parley.test")!.querySelector(".remove-member")!);
    await fireEvent.click(el("#group-confirm-ok"));
    await vi.waitFor(() => expect(memberRow("sam@parley.test")!.querySelector(".member-error")).not.toBeNull());
    expect(memberRow("sam@parley.test")!.textContent).toContain("Not removed: You are not allowed to do that here.");

    const select = memberRow("lee@parley.test")!.querySelector<HTMLSelectElement>(".member-role")!;
    await fireEvent.change(select, { target: { value: "member" } });
    await vi.waitFor(() => expect(memberRow("lee@parley.test")!.textContent).toContain("The role was not changed"));
    expect(select.value).toBe("moderator");

    expect(rowIds()).toEqual(before);
    expect(el("#group-title").textContent).toBe("Support team");
    expect(ipc.state.conversations.find((c) => c.id === "g:201")!.members).toHaveLength(3);
    // Nothing was re-read as if it had changed.
    expect(calls(ipc, "groups").length).toBe(groupsRead);
  });

  it("mutes for a period, until unmuted, and unmutes, saying until when", async () => {
    const ipc = await setup();
    await open("g:202");
    expect(document.querySelector("#group-muted")).toBeNull();
    const t0 = Date.now();
    await fireEvent.change(el("#group-mute"), { target: { value: "8h" } });
    await vi.waitFor(() => expect(document.querySelector("#group-muted")).not.toBeNull());
    const [, id, until] = calls(ipc, "muteConversation")[0]! as [string, string, number];
    expect(id).toBe("g:202");
    expect(until).toBeGreaterThanOrEqual(t0 + 8 * HOUR);
    expect(until).toBeLessThan(t0 + 8 * HOUR + 60_000);
    expect(el("#group-muted").textContent).toContain("Muted until");
    expect(el('#group-list [data-group-id="g:202"] .muted')).toBeTruthy();

    await fireEvent.change(el("#group-mute"), { target: { value: "forever" } });
    await vi.waitFor(() => expect(el("#group-muted").textContent?.trim()).toBe("Muted until you unmute"));
    expect(calls(ipc, "muteConversation")[1]).toEqual(["muteConversation", "g:202", MUTED_FOR_GOOD]);

    await fireEvent.change(el("#group-mute"), { target: { value: "off" } });
    await vi.waitFor(() => expect(document.querySelector("#group-muted")).toBeNull());
    expect(calls(ipc, "muteConversation")[2]).toEqual(["muteConversation", "g:202", null]);
  });

  it("joins an open group, which then shows among the agent's groups", async () => {
    const lounge = conversation({
      id: "g:300",
      title: "Open lounge",
      groupType: 6,
      assignee: null,
      customerId: null,
      members: [{ userId: "kim@parley.test", role: "admin" }],
    });
    const ipc = await setup({ openGroups: [lounge] });
    await fireEvent.click(el("#groups-tab-open"));
    const row = await vi.waitFor(() => el('#open-group-list [data-open-group-id="g:300"]'));
    expect(row.textContent).toContain("Open lounge");
    await fireEvent.click(row.querySelector(".join-group")!);
    await vi.waitFor(() => expect(el("#group-title").textContent).toBe("Open lounge"));
    expect(calls(ipc, "joinGroup")).toEqual([["joinGroup", "g:300"]]);
    expect(el("#groups-tab-groups").getAttribute("aria-selected")).toBe("true");
    expect(rowIds()).toContain("g:300");
    expect(memberRow(ME)).not.toBeNull();
  });

  it("keeps the friends list: add through the search, remove", async () => {
    const ipc = await setup();
    await fireEvent.click(el("#groups-tab-lists"));
    await vi.waitFor(() => expect(calls(ipc, "contactList")).toEqual([["contactList", "friends"]]));
    await pickPerson("#list-member-search", "kim", "kim@parley.test");
    await vi.waitFor(() => expect(document.querySelector('#list-members [data-contact-id="kim@parley.test"]')).not.toBeNull());
    expect(calls(ipc, "editContactList")).toEqual([["editContactList", "friends", ["kim@parley.test"], []]]);

    await fireEvent.click(el('#list-members [data-contact-id="kim@parley.test"] .remove-from-list'));
    await vi.waitFor(() => expect(document.querySelector('#list-members [data-contact-id="kim@parley.test"]')).toBeNull());
    expect(calls(ipc, "editContactList")[1]).toEqual(["editContactList", "friends", [], ["kim@parley.test"]]);

    await fireEvent.click(el('#contact-lists [data-list="favourites"]'));
    await vi.waitFor(() => expect(calls(ipc, "contactList")).toContainEqual(["contactList", "favourites"]));
    expect(el("#contact-list-title").textContent).toBe("Favourites");
  });

  it("renders hostile group names and metadata as plain text", async () => {
    const name = `<img src=x onerror="window.__pwned=1">Ops`;
    const key = "<script>window.__pwned=2</script>";
    const value = `<a href="javascript:alert(1)">click</a><b>bold</b>`;
    const hostile = conversation({
      id: "g:666",
      title: name,
      groupType: 1,
      assignee: null,
      customerId: null,
      metadata: { [key]: value },
      members: [{ userId: ME, role: "admin" }, { userId: `"><svg onload=alert(1)>`, role: "member" }],
    });
    await setup({ conversations: [hostile] });
    await open("g:666");
    const scope = [el("#group-list"), el('[data-group="g:666"]')];
    for (const s of scope) expect(s.querySelectorAll("script, img, b, a[href^='javascript'], svg[onload]").length).toBe(0);
    expect(el('#group-list [data-group-id="g:666"] .name').textContent).toBe(name);
    expect(el("#group-title").textContent).toBe(name);
    const entry = el(`[data-group="g:666"] .meta-entry`);
    expect(within(entry).getByText(key).tagName).toBe("DT");
    expect(within(entry).getByText(value).tagName).toBe("DD");
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("reads the list again when a batch names a group, and only once for a support conversation", async () => {
    const ipc = await setup();
    const reads = () => calls(ipc, "groups").length;
    const start = reads();
    ipc.state.conversations = ipc.state.conversations.map((c) => (c.id === "g:202" ? { ...c, title: "Escalations (EU)" } : c));
    ipc.emit(emptyBatch({ conversations: ["g:202"] }));
    await vi.waitFor(() => expect(el('#group-list [data-group-id="g:202"]').textContent).toContain("Escalations (EU)"));
    expect(reads()).toBe(start + 1);

    // A group created elsewhere appears.
    ipc.state.conversations.push(conversation({ id: "g:400", title: "Added elsewhere", groupType: 2, members: [{ userId: ME, role: "member" }] }));
    ipc.emit(emptyBatch({ conversations: ["g:400"] }));
    await vi.waitFor(() => expect(rowIds()).toContain("g:400"));

    // Support conversation traffic: looked at once, then ignored.
    const before = reads();
    ipc.emit(emptyBatch({ conversations: ["g:1"] }));
    await vi.waitFor(() => expect(reads()).toBe(before + 1));
    ipc.emit(emptyBatch({ conversations: ["g:1"] }));
    ipc.emit(emptyBatch({ conversations: ["u:someone"] }));
    await new Promise((r) => setTimeout(r, 60));
    expect(reads()).toBe(before + 1);
  });

  it("edits metadata: changed and removed entries are sent, others are not", async () => {
    const ipc = await setup();
    await open("g:201");
    ipc.state.conversations = ipc.state.conversations.map((c) => (c.id === "g:201" ? { ...c, metadata: { team: "tier-1", region: "EU" } } : c));
    ipc.emit(emptyBatch({ conversations: ["g:201"] }));
    await vi.waitFor(() => expect(document.querySelector('[data-meta-key="region"]')).not.toBeNull());
    await fireEvent.click(el("#group-meta-edit"));
    // Rows are shown in the group's order: team, region.
    expect(el<HTMLInputElement>("#group-meta-edit-key-0").value).toBe("team");
    await fireEvent.input(el("#group-meta-edit-value-0"), { target: { value: "tier-2" } });
    await fireEvent.click(el('[data-meta-row="1"] button'));
    await fireEvent.click(el("#group-meta-save"));
    await vi.waitFor(() => expect(calls(ipc, "updateGroup")).toHaveLength(1));
    expect(calls(ipc, "updateGroup")[0]).toEqual(["updateGroup", "g:201", { name: null, imageUrl: null, metadata: { team: "tier-2", region: "" } }]);
    await vi.waitFor(() => expect(document.querySelector('[data-meta-key="team"]')?.textContent).toContain("tier-2"));
    // The emptied entry is not shown.
    expect(document.querySelector('[data-meta-key="region"]')).toBeNull();
  });
});
