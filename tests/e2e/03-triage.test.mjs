// The triage loop in the real window against the sandbox: sign in, the inbox and its counts,
// open a conversation, reply (the sandbox holds it), a customer message arrives live with a
// desktop notification (the D-Bus Notify call is observed), resolve moves it to Closed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, openConversation, shot as keep, signIn } from "./app.mjs";

const agent = sb.ready.agents[0];
let s;
let agentToken;
// Conversations the tests start, for the ones after them.
let parcelGroup;
let liveGroup;

const shot = (name) => keep(s, name);

before(async () => {
  agentToken = await sb.tokenFor(agent);
  s = await Session.start();
});

after(async () => {
  await shot("triage-last");
  await s?.quit().catch(() => {});
});

const count = async (view) => Number((await (await s.find(`[data-view="${view}"]`)).text()).trim());

test("test_agent_signs_in_to_the_sandbox_and_sees_the_demo_inbox_with_right_counts", async () => {
  await signIn(s, sb.ready, agent);
  // The counts settle once the first sync is done; they must match what the server says.
  const truth = await sb.supportCounts(agentToken, agent.userId);
  let seen;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    seen = { all: await count("all"), mine: await count("assigned_to_me") };
    if (seen.all === truth.all && seen.mine === truth.mine) break;
    await sleep(250);
  }
  assert.deepEqual(seen, truth);
  await shot("inbox");
});

test("test_open_conversation_and_reply_reaches_the_sandbox", async () => {
  const customer = sb.ready.customers[0];
  const customerToken = await sb.tokenFor(customer);
  const group = await sb.startConversation(customerToken, "E2E: parcel", agent.userId);
  parcelGroup = group;
  await sb.send(customerToken, group, "Hi, where is my parcel?");
  const row = await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 10_000 });
  await row.click();
  await s.waitText("#conv-title", (t) => t.length > 0);
  await s.waitText("[role=log]", (t) => t.includes("Hi, where is my parcel?"));
  const composer = await s.find("#composer-input");
  await composer.type("It ships today, sorry for the wait!");
  await composer.type("\uE007"); // Enter sends
  const deadline = Date.now() + 10_000;
  let texts = [];
  while (Date.now() < deadline) {
    texts = await sb.thread(customerToken, group);
    if (texts.includes("It ships today, sorry for the wait!")) break;
    await sleep(200);
  }
  assert.equal(texts.filter((t) => t === "It ships today, sorry for the wait!").length, 1);
  await shot("conversation");
});

test("test_customer_message_arrives_live_with_a_desktop_notification", async () => {
  const customer = sb.ready.customers[1];
  const customerToken = await sb.tokenFor(customer);
  const name = await sb.displayName(agentToken, customer.userId);
  const group = await sb.startConversation(customerToken, "E2E: live", agent.userId);
  liveGroup = group;
  const sentAt = Date.now();
  await sb.send(customerToken, group, "Are you there?");
  await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 2_000 });
  const arrived = Date.now() - sentAt;
  assert.ok(arrived <= 2_000, `arrived in ${arrived} ms`);
  let log = "";
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    log = readFileSync(process.env.NOTIFY_LOG, "utf8");
    if (log.includes(name)) break;
    await sleep(100);
  }
  assert.ok(log.includes("member=Notify"), "a Notify call was made");
  assert.ok(log.includes(name), `the notification names the customer (${name})`);
});

test("test_clicking_a_notification_brings_its_conversation_forward", async () => {
  const customer = sb.ready.customers[1];
  const customerToken = await sb.tokenFor(customer);
  // Another conversation on screen, and no other notification up.
  await openConversation(s, parcelGroup);
  await s.waitText("#conv-title", (t) => t === "E2E: parcel");
  const dunst = (...args) => execFileSync("dunstctl", args, { encoding: "utf8" });
  dunst("close-all");
  await sb.send(customerToken, liveGroup, "Still there? (notification click)");
  await eventually("the Notify call", () => readFileSync(process.env.NOTIFY_LOG, "utf8").includes("notification click"));
  await eventually("the notification on screen", () => Number(dunst("count", "displayed").trim()) === 1);
  dunst("action", "0"); // the agent clicks it
  await s.waitText("#conv-title", (t) => t === "E2E: live", { timeout: 5_000 });
  await s.waitText("[role=log]", (t) => t.includes("Still there? (notification click)"));
});

// A 2×2 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGO44OAARAwQCgAnDgVB0hsW7gAAAABJRU5ErkJggg==",
  "base64",
);

test("test_a_pasted_image_arrives_in_the_sandbox_and_shows_as_a_thumbnail", async () => {
  const customer = sb.ready.customers[0];
  const customerToken = await sb.tokenFor(customer);
  await openConversation(s, parcelGroup);
  await s.waitText("#conv-title", (t) => t === "E2E: parcel");
  // The agent pastes an image file into the composer (as the clipboard gives it).
  const how = await s.execute(
    `const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
     const file = new File([bytes], "receipt.png", { type: "image/png" });
     const dt = new DataTransfer();
     dt.items.add(file);
     const input = document.querySelector("#composer-input");
     input.focus();
     const paste = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true });
     if (paste.clipboardData && paste.clipboardData.files.length === 1) {
       input.dispatchEvent(paste);
       return "paste";
     }
     const target = document.querySelector("section.conversation");
     for (const type of ["dragenter", "dragover", "drop"]) {
       target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
     }
     return "drop";`,
    [PNG.toString("base64")],
  );
  const stored = await eventually(
    `the file in the sandbox (sent by ${how})`,
    async () => (await sb.messages(customerToken, parcelGroup)).find((m) => m.fileMeta?.name === "receipt.png"),
  );
  assert.equal(stored.fileMeta.contentType, "image/png");
  const bytes = await sb.download(customerToken, stored.fileMeta.blobKey);
  assert.ok(bytes.equals(PNG), "the sandbox holds the same bytes");
  await eventually("the thumbnail", async () =>
    String(
      await s.execute(
        "const i = document.querySelector('[role=log] img.thumb'); return i && i.complete && i.naturalWidth > 0 ? i.src.slice(0, 22) : '';",
      ),
    ).startsWith("data:image/png"),
  );
  await shot("attachment");
});

test("test_resolve_moves_the_conversation_to_closed_and_the_sandbox_status_is_2", async () => {
  const customer = sb.ready.customers[2];
  const customerToken = await sb.tokenFor(customer);
  const group = await sb.startConversation(customerToken, "E2E: resolve me", agent.userId);
  await sb.send(customerToken, group, "Thanks, all good now");
  await (await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 10_000 })).click();
  await s.waitText("#conv-title", (t) => t.length > 0);
  const closedBefore = await count("closed");
  const buttons = await s.cmd("POST", "/elements", { using: "css selector", value: "button.resolve" });
  assert.ok(buttons.length > 0, "a Resolve button");
  await (await s.find("button.resolve")).click();
  const deadline = Date.now() + 10_000;
  let status;
  while (Date.now() < deadline) {
    status = (await sb.groupInfo(agentToken, group)).metadata?.CONVERSATION_STATUS;
    if (status === "2") break;
    await sleep(200);
  }
  assert.equal(status, "2");
  while (Date.now() < deadline && (await count("closed")) <= closedBefore) await sleep(100);
  assert.equal(await count("closed"), closedBefore + 1);
  await (await s.find("#tab-closed")).click();
  await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 5_000 });
});
