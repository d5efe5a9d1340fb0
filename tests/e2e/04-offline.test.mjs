// Offline-first in the real window: with the sandbox stopped, a reply is kept in the send
// queue (shown as queued, with the count in the status bar); once the sandbox is back it is
// sent, and the sandbox holds it exactly once.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, openConversation, shot, signIn } from "./app.mjs";

let s;
let sandbox;
let options;
const dataDir = mkdtempSync(join(tmpdir(), "parley-e2e-offline-"));

before(async () => {
  options = { dataDir, httpPort: await sb.freePort(), mqttPort: await sb.freePort() };
  sandbox = await sb.start(options);
  s = await Session.start();
});

after(async () => {
  await shot(s, "offline-last");
  await s?.quit().catch(() => {});
  await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const connectionState = () => s.execute("return document.querySelector('.status[data-state]')?.dataset.state ?? null");

test("test_reply_written_while_the_server_is_down_is_sent_exactly_once_after_restart", async () => {
  const agent = sandbox.ready.agents[0];
  const customer = sandbox.ready.customers[0];
  let customerToken = await sandbox.api.tokenFor(customer);
  const group = await sandbox.api.startConversation(customerToken, "E2E: offline", agent.userId);
  await sandbox.api.send(customerToken, group, "Is anyone there?");

  await signIn(s, sandbox.ready, agent);
  await eventually("online", async () => (await connectionState()) === "online", { timeout: 20_000 });
  await openConversation(s, group);
  await s.waitText("[role=log]", (t) => t.includes("Is anyone there?"));

  await sandbox.stop();
  await eventually("the app to notice the server is gone", async () => (await connectionState()) !== "online", {
    timeout: 30_000,
  });

  const reply = "Sorry, we were offline for a moment. Here now!";
  const composer = await s.find("#composer-input");
  await composer.type(reply);
  await composer.type("\uE007");
  await s.waitText("[role=log]", (t) => t.includes(reply));
  await s.waitText("#queued-count", (t) => t.includes("1 queued"));
  await shot(s, "offline-queued");
  // Still nothing to send to: it stays queued.
  await sleep(2_000);
  await s.waitText("#queued-count", (t) => t.includes("1 queued"));

  sandbox = await sb.start(options);
  // A restarted sandbox signs tokens with a new key: the customer signs in again (the app
  // refreshes its own token by itself).
  customerToken = await sandbox.api.tokenFor(customer);
  const texts = await eventually(
    "the reply in the restarted sandbox",
    async () => {
      const t = await sandbox.api.thread(customerToken, group);
      return t.includes(reply) ? t : null;
    },
    { timeout: 90_000, every: 500 },
  );
  assert.equal(texts.filter((t) => t === reply).length, 1);
  await eventually("the queue to be empty", async () => !(await s.execute("return document.querySelector('#queued-count')?.textContent ?? ''")), {
    timeout: 20_000,
  });
  // Retries and reconnects must not send it again.
  await sleep(3_000);
  const again = await sandbox.api.thread(customerToken, group);
  assert.equal(again.filter((t) => t === reply).length, 1);
});
