// Keyboard-first work in the real window against the sandbox: Ctrl+K opens the command
// palette, which finds a conversation by its title and runs an action on it (the sandbox sees
// the status change); a shortcut changed in Settings → Shortcuts runs its action with the new
// keys (and no longer with the old ones).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, shot as keep, signIn } from "./app.mjs";

const agent = sb.ready.agents[0];
const customer = sb.ready.customers[0];
let s;
let agentToken;
let customerToken;

const shot = (name) => keep(s, name);
// WebDriver key codes: modifiers stay down until NULL releases them.
const CTRL = "\uE009";
const SHIFT = "\uE008";
const NULL = "\uE000";
const ENTER = "\uE007";

before(async () => {
  agentToken = await sb.tokenFor(agent);
  customerToken = await sb.tokenFor(customer);
  s = await Session.start();
  await signIn(s, sb.ready, agent);
});

after(async () => {
  await shot("palette-last");
  await s?.quit().catch(() => {});
});

const status = async (group) => (await sb.groupInfo(agentToken, group)).metadata?.CONVERSATION_STATUS;

/** Keys sent to a row of the inbox: a focusable element that is not a text field. */
async function pressOnInbox(keys) {
  const row = await s.find("#inbox-list [data-id]");
  await row.type(keys);
}

test("test_the_command_palette_finds_a_conversation_and_resolves_it_in_the_sandbox", async () => {
  const title = `E2E: palette ${Date.now()}`;
  const group = await sb.startConversation(customerToken, title, agent.userId);
  await sb.send(customerToken, group, "Can the palette find me?");
  await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 15_000 });

  // Ctrl+K from the inbox search box (a text field: the palette still opens).
  await (await s.find("#inbox-search")).type(`${CTRL}k${NULL}`);
  const input = await s.find("#palette-input");
  await input.type(title);
  const item = await s.find(`#palette-list [data-conversation="g:${group}"]`, { timeout: 5_000 });
  await item.click();
  await s.waitText("#conv-title", (t) => t === title);
  await s.waitText("[role=log]", (t) => t.includes("Can the palette find me?"));

  // The palette again, now for an action on the open conversation.
  await (await s.find("#composer-input")).type(`${CTRL}k${NULL}`);
  await (await s.find("#palette-input")).type("resolve conv");
  await s.waitText("#palette-list [aria-selected='true']", (t) => t.startsWith("Resolve conversation"));
  await shot("palette");
  await (await s.find("#palette-input")).type(ENTER);
  await eventually("the sandbox to hold status 2 (resolved)", async () => (await status(group)) === "2", { timeout: 10_000 });
  await eventually("the palette to close", async () => (await s.execute("return !document.querySelector('#command-palette')")) === true);
});

test("test_a_changed_shortcut_resolves_with_the_new_keys_and_not_the_old_ones", async () => {
  const title = `E2E: shortcut ${Date.now()}`;
  const group = await sb.startConversation(customerToken, title, agent.userId);
  await sb.send(customerToken, group, "Resolve me with the new keys");
  await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 15_000 });

  // Settings → Shortcuts: give "Resolve conversation" Shift+D.
  await (await s.find("#settings-button")).click();
  await (await s.find("#settings-tab-shortcuts")).click();
  await (await s.find("#shortcut-change-resolve")).click();
  await (await s.find("#shortcut-record-resolve")).type(`${SHIFT}d${NULL}`);
  await s.waitText('[data-action="resolve"] kbd', (t) => t === "Shift+D");
  await shot("settings-shortcuts");
  await (await s.find("dialog#settings button[aria-label='Close settings']")).click();
  await eventually("settings to close", async () => (await s.execute("return !document.querySelector('dialog#settings')")) === true);

  // Open it; the old key (E) does nothing, the new one resolves.
  await (await s.find(`#inbox-list [data-id="g:${group}"]`)).click();
  await s.waitText("#conv-title", (t) => t === title);
  await pressOnInbox("e");
  await sleep(1500);
  assert.notEqual(await status(group), "2", "the old shortcut must not resolve any more");
  await pressOnInbox(`${SHIFT}d${NULL}`);
  await eventually("the sandbox to hold status 2 (resolved)", async () => (await status(group)) === "2", { timeout: 10_000 });

  // Back to the defaults for whatever runs next with this profile.
  await (await s.find("#settings-button")).click();
  await (await s.find("#settings-tab-shortcuts")).click();
  await (await s.find("#shortcuts-reset-all")).click();
  await s.waitText('[data-action="resolve"] kbd', (t) => t === "E");
  await (await s.find("dialog#settings button[aria-label='Close settings']")).click();
});
