// Notification settings in the real window: quiet hours set in the settings screen around the
// current local time silence the desktop notification for a customer's message (the message
// still arrives), and turning them off brings notifications back (the D-Bus Notify log is the
// witness). Then "delete for everyone" from a message's action menu, as the sandbox records it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, openConversation, shot as keep, signIn } from "./app.mjs";

const agent = sb.ready.agents[0];
const customer = sb.ready.customers.at(-1);
let s;
let customerToken;
let group;
/** Quiet hours were switched on and not yet off (the profile is shared with later files). */
let quietOn = false;

const shot = (name) => keep(s, name);
const notifyLog = () => readFileSync(process.env.NOTIFY_LOG, "utf8");
const pad = (n) => String(n).padStart(2, "0");
const hhmm = (minutes) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

before(async () => {
  customerToken = await sb.tokenFor(customer);
  s = await Session.start();
});

after(async () => {
  await shot("quiet-hours-last");
  if (quietOn) await setQuiet(null).catch(() => {});
  await s?.quit().catch(() => {});
});

async function openSettings() {
  await (await s.find("#settings-button")).click();
  await s.find("dialog#settings[open] #quiet-enabled");
}

async function closeSettings() {
  await (await s.find("dialog#settings button[aria-label='Close settings']")).click();
  await eventually("the settings closed", async () => !(await s.execute("return !!document.querySelector('dialog#settings');")));
}

/** Set a time input the way the browser does once a time is entered: value, then `change`. */
async function setTime(id, value) {
  await s.execute(
    `const el = document.querySelector(arguments[0]);
     el.value = arguments[1];
     el.dispatchEvent(new Event("change", { bubbles: true }));`,
    [`#${id}`, value],
  );
}

const quietState = () =>
  s.execute(
    `return { on: document.querySelector("#quiet-enabled").checked,
              from: document.querySelector("#quiet-from").value,
              to: document.querySelector("#quiet-to").value };`,
  );

/** Quiet hours from–to ("HH:MM"), or off (null), through the settings screen; checked by reopening it. */
async function setQuiet(range) {
  await openSettings();
  const now = await quietState();
  if (now.on !== !!range) await (await s.find("#quiet-enabled")).click();
  if (range) {
    await eventually("the time fields enabled", () => s.execute("return !document.querySelector('#quiet-from').disabled;"));
    await setTime("quiet-from", range.from);
    await setTime("quiet-to", range.to);
  }
  const want = range ? { on: true, from: range.from, to: range.to } : { on: false, from: "", to: "" };
  let seen;
  await eventually(`the settings showing ${JSON.stringify(want)}`, async () => {
    seen = await quietState();
    return (seen.on === want.on && seen.from === want.from && seen.to === want.to) || null;
  }).catch((e) => {
    throw new Error(`${e.message}; the screen shows ${JSON.stringify(seen)}`);
  });
  await s.waitText("dialog#settings .status", (t) => !t.includes("Saving"));
  await closeSettings();
  // Read back what the shell holds (the screen reloads it on opening).
  await openSettings();
  const kept = await quietState();
  assert.deepEqual({ on: kept.on, from: kept.from, to: kept.to }, want, "the shell kept the quiet hours");
  assert.equal(await s.execute("return !!document.querySelector('dialog#settings [role=alert]');"), false, "no error shown");
  await closeSettings();
  quietOn = !!range;
}

async function customerSays(text) {
  await sb.send(customerToken, group, text);
  await s.waitText("[role=log]", (t) => t.includes(text), { timeout: 10_000 });
}

test("test_no_notification_during_quiet_hours_and_notifications_return_after", async () => {
  await signIn(s, sb.ready, agent);
  group = await sb.startConversation(customerToken, "E2E: quiet hours", agent.userId);
  await sb.send(customerToken, group, "Hello, anyone there?");
  await openConversation(s, group);
  await s.waitText("[role=log]", (t) => t.includes("Hello, anyone there?"));

  // Quiet from an hour ago to an hour from now, local time (wrapping midnight when needed).
  const d = new Date();
  const minute = d.getHours() * 60 + d.getMinutes();
  const range = { from: hhmm((minute + 1440 - 60) % 1440), to: hhmm((minute + 60) % 1440) };
  await setQuiet(range);
  await shot("quiet-hours-set");

  const quietText = `Quiet hours check ${Date.now()}`;
  const before = notifyLog().length;
  await customerSays(quietText);
  await sleep(5_000);
  const during = notifyLog().slice(before);
  assert.ok(!during.includes(quietText), `no notification during quiet hours; Notify log grew by:\n${during}`);

  await setQuiet(null);
  const loudText = `Notifications back ${Date.now()}`;
  await customerSays(loudText);
  await eventually("the Notify call after quiet hours", () => notifyLog().includes(loudText), { timeout: 5_000 });
});

test("test_delete_for_everyone_from_the_message_menu_marks_it_on_the_platform", async () => {
  const text = `Sent by mistake ${Date.now()}`;
  const since = Date.now() - 1_000;
  const composer = await s.find("#composer-input");
  await composer.type(text);
  await composer.type("\uE007");
  const stored = await eventually("the reply in the sandbox", async () =>
    (await sb.messages(customerToken, group)).find((m) => m.message === text),
  );
  // The timeline holds it under the server's key once the send queue is done with it.
  const row = `[role=log] [data-key="${stored.key}"]`;
  await s.find(row, { timeout: 10_000 });
  // Keyboard path: focus the message's "…" button (it shows on focus) and open the menu.
  await s.execute(`document.querySelector(arguments[0]).focus();`, [`${row} .message-actions`]);
  await (await s.find(`${row} .message-actions`)).click();
  await (await s.find(`${row} [role=menu] [data-action="delete-all"]`)).click();
  await s.find("dialog.confirm-delete[open]");
  await shot("delete-for-everyone-confirm");
  await (await s.find("dialog.confirm-delete [data-confirm=delete]")).click();

  await eventually("the message gone from the timeline", async () => !(await s.execute("return !!document.querySelector(arguments[0]);", [row])));
  const thread = await sb.thread(customerToken, group);
  assert.ok(!thread.includes(text), "the customer no longer sees it");
  const sync = await sb.rest(customerToken, "GET", `/rest/ws/message/sync?lastSyncTime=${since}&metadataUpdate=true`);
  const marked = (sync.messages ?? []).find((m) => m.key === stored.key);
  assert.ok(marked, "the deletion reaches the customer's sync");
  assert.equal(marked.metadata?.AL_DELETE_GROUP_MESSAGE_FOR_ALL, "true");
});
