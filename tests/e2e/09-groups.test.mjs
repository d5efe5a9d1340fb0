// Group management in the real window against the sandbox: the agent creates a group with two
// members picked by search, renames it, removes a member and deletes it; after each step the
// sandbox's own copy (group/v2/info) shows the change. A group where the agent is only a member
// cannot be deleted: the platform's refusal is shown and the group stays.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Session } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, shot as keep, signIn } from "./app.mjs";

const [agent, bob, carol] = sb.ready.agents;
const ENTER = "\uE007";
let s;
let agentToken;
let bobToken;
/** The group the first test creates (numeric id), for the ones after it. */
let groupId;

const shot = (name) => keep(s, name);

before(async () => {
  agentToken = await sb.tokenFor(agent);
  bobToken = await sb.tokenFor(bob);
  s = await Session.start();
  await signIn(s, sb.ready, agent);
  await (await s.find("#groups-button")).click();
  await s.find("#group-list [data-group-id]", { timeout: 15_000 });
});

after(async () => {
  await shot("groups-last");
  await s?.quit().catch(() => {});
});

const exists = (css) => s.execute("return !!document.querySelector(arguments[0])", [css]);

/** Set a <select> as a person would (the change event Svelte listens to). */
const choose = (css, value) =>
  s.execute(
    "const el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('change', {bubbles: true}));",
    [css, value],
  );

/** Search in a people picker and click the person found. */
async function pick(pickerCss, terms, userId) {
  await (await s.find(pickerCss)).type(terms);
  await (await s.find(`${pickerCss}-results [data-person-id="${userId}"]`, { timeout: 15_000 })).click();
}

const members = (g) => [...(g.membersId ?? [])].sort();

test("test_agent_creates_a_group_with_two_members_and_the_sandbox_holds_it", async () => {
  await (await s.find("#new-group")).click();
  await s.find("dialog#group-form[open]");
  await (await s.find("#group-name")).type("E2E: launch crew");
  await choose("#group-kind", "private");
  await pick("#member-search", bob.userId, bob.userId);
  await pick("#member-search", carol.userId, carol.userId);
  await s.find(`[data-member-chip="${carol.userId}"]`);
  await shot("groups-form");
  await (await s.find("#group-create")).click();

  await eventually("the form to close", async () => !(await exists("dialog#group-form")));
  await s.waitText("#group-title", (t) => t === "E2E: launch crew");
  const id = await s.execute("return document.querySelector('[data-group]').dataset.group");
  assert.match(id, /^g:\d+$/);
  groupId = Number(id.slice(2));
  await s.find(`#group-list [data-group-id="${id}"]`);

  const g = await sb.groupV2(agentToken, groupId);
  assert.equal(g.name, "E2E: launch crew");
  assert.equal(g.type, 1, "private");
  assert.deepEqual(members(g), [agent.userId, bob.userId, carol.userId].sort());
  await shot("groups-created");
});

test("test_renaming_the_group_renames_it_in_the_sandbox", async () => {
  assert.ok(groupId, "the group was created");
  await (await s.find("#group-rename")).click();
  const input = await s.find("#group-rename-input");
  await s.execute(
    "const el = document.querySelector('#group-rename-input'); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await input.type(`E2E: launch crew (renamed)${ENTER}`);
  await s.waitText("#group-title", (t) => t === "E2E: launch crew (renamed)");
  await s.waitText(`#group-list [data-group-id="g:${groupId}"]`, (t) => t.includes("E2E: launch crew (renamed)"));
  const g = await eventually("the new name in the sandbox", async () => {
    const info = await sb.groupV2(agentToken, groupId);
    return info.name === "E2E: launch crew (renamed)" && info;
  });
  assert.equal(g.name, "E2E: launch crew (renamed)");
});

test("test_removing_a_member_removes_them_in_the_sandbox", async () => {
  assert.ok(groupId, "the group was created");
  await (await s.find(`#group-members [data-member-id="${carol.userId}"] .remove-member`)).click();
  // The app asks first.
  await s.waitText("#group-confirm-title", (t) => t.startsWith("Remove "));
  await (await s.find("#group-confirm-ok")).click();
  await eventually("the member row to go", async () => !(await exists(`#group-members [data-member-id="${carol.userId}"]`)));
  const g = await sb.groupV2(agentToken, groupId);
  assert.deepEqual(members(g), [agent.userId, bob.userId].sort());
  await shot("groups-member-removed");
});

test("test_deleting_the_group_after_confirming_deletes_it_in_the_sandbox", async () => {
  assert.ok(groupId, "the group was created");
  await (await s.find("#group-delete")).click();
  await s.find("dialog#group-confirm[open]");
  await (await s.find("#group-confirm-ok")).click();
  await eventually("the row to go", async () => !(await exists(`#group-list [data-group-id="g:${groupId}"]`)));
  await s.waitText("#groups-notice", (t) => t.includes("is deleted"));
  assert.equal(await sb.groupV2(agentToken, groupId), null, "the sandbox no longer knows the group");
});

test("test_a_member_who_may_not_delete_sees_the_platforms_refusal_and_the_group_stays", async () => {
  // Bob's group, the agent only a member: it reaches the window in real time.
  const id = await sb.createGroup(bobToken, { name: "E2E: Bob's group", type: 2, users: [{ userId: agent.userId, groupRole: 3 }] });
  const row = await s.find(`#group-list [data-group-id="g:${id}"]`, { timeout: 15_000 });
  await row.click();
  await s.waitText("#group-title", (t) => t === "E2E: Bob's group");
  await (await s.find("#group-delete")).click();
  await (await s.find("dialog#group-confirm[open] #group-confirm-ok")).click();
  const text = await (await s.find("#group-action-error")).text();
  assert.match(text, /^The group was not deleted: You are not allowed to do that here\./);
  await shot("groups-refused");
  assert.ok(await exists(`#group-list [data-group-id="g:${id}"]`), "the group is still listed");
  const g = await sb.groupV2(bobToken, id);
  assert.equal(g.name, "E2E: Bob's group");
});
