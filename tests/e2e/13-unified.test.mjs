// The unified inbox in the real window against the sandbox: two agents signed in at once, the
// list holds the conversations of both with their platform badges, the scope menu narrows it
// to one account, and a conversation of the account that is not current opens under that
// account: its messages show and a reply reaches the sandbox sent by that agent.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { addAccount, chooseScope, eventually, shot as keep, signIn } from "./app.mjs";

const first = sb.ready.agents[0];
const second = sb.ready.agents[1];
const accountOf = (agent) => `${sb.ready.applicationId}:${agent.userId}`;
const stamp = Date.now().toString(36);
let s;
let customerToken;
/** A conversation assigned to each agent. */
let forFirst;
let forSecond;

const shot = (name) => keep(s, name);
const row = (agent, group) => `#inbox-list .row[data-account="${accountOf(agent)}"][data-id="g:${group}"]`;
/** `account/id` of every row on screen (the virtual window). */
const rowsShown = () =>
  s.execute("return [...document.querySelectorAll('#inbox-list .row')].map((r) => r.dataset.account + '/' + r.dataset.id);");

before(async () => {
  assert.ok(second, "the demo sandbox has a second agent");
  customerToken = await sb.tokenFor(sb.ready.customers[7]);
  forFirst = await sb.startConversation(customerToken, `E2E unified: first ${stamp}`, first.userId);
  await sb.send(customerToken, forFirst, "A question for the first agent");
  forSecond = await sb.startConversation(customerToken, `E2E unified: second ${stamp}`, second.userId);
  await sb.send(customerToken, forSecond, "A question for the second agent");
  s = await Session.start();
  await signIn(s, sb.ready, first);
  // One account: the inbox as it always was, no scope menu and no badges.
  await s.find(row(first, forFirst), { timeout: 15_000 });
  const single = await s.execute("return [!!document.querySelector('#inbox-scope'), !!document.querySelector('#inbox-list .platform')];");
  assert.deepEqual(single, [false, false]);
  await addAccount(s, sb.ready, second);
});

after(async () => {
  await shot("unified-last");
  await s?.quit().catch(() => {});
});

test("test_unified_inbox_shows_conversations_of_both_accounts_with_badges", async () => {
  await s.find(row(first, forFirst), { timeout: 15_000 });
  await s.find(row(second, forSecond), { timeout: 15_000 });
  const badges = await s.execute(
    `return [arguments[0], arguments[1]].map((css) => {
       const r = document.querySelector(css);
       const icon = r.querySelector('.platform [role=img]');
       return [r.querySelector('.platform').dataset.platform, icon.getAttribute('aria-label'), r.querySelector('.platform .account')?.textContent ?? null];
     });`,
    [row(first, forFirst), row(second, forSecond)],
  );
  // Both are Kommunicate accounts: the badge, and each row names its account.
  assert.equal(badges[0][0], "kommunicate");
  assert.equal(badges[0][1], "Kommunicate");
  assert.equal(badges[1][1], "Kommunicate");
  assert.ok(badges[0][2] && badges[1][2] && badges[0][2] !== badges[1][2], `account names: ${JSON.stringify(badges)}`);
  const scope = await s.execute("return [...document.querySelectorAll('#inbox-scope option')].map((o) => o.value);");
  assert.deepEqual(scope, ["all", `account:${accountOf(first)}`, `account:${accountOf(second)}`]);
  await shot("unified-both");
});

test("test_filtering_by_account_narrows_the_unified_list", async () => {
  await chooseScope(s, `account:${accountOf(second)}`);
  await s.find(row(second, forSecond));
  const rows = await eventually("only the second account's rows", async () => {
    const r = await rowsShown();
    return r.length && r.every((x) => x.startsWith(`${accountOf(second)}/`)) ? r : null;
  });
  assert.ok(rows.includes(`${accountOf(second)}/g:${forSecond}`));
  await chooseScope(s, "all");
  await s.find(row(first, forFirst));
  await s.find(row(second, forSecond));
});

test("test_opening_a_row_of_the_other_account_opens_it_and_the_reply_goes_out_under_that_account", async () => {
  // The first agent's conversation makes the first account the current one.
  await (await s.find(row(first, forFirst))).click();
  await s.waitText("#conv-title", (t) => t === `E2E unified: first ${stamp}`);
  await s.waitText("[role=log]", (t) => t.includes("A question for the first agent"));
  const firstName = await s.waitText(".status-bar .who", (t) => t.length > 0);
  const scrolled = await s.execute("const l = document.querySelector('#inbox-list'); return l.scrollTop;");

  // Now the second agent's: the account follows, the list stays where it was.
  await (await s.find(row(second, forSecond))).click();
  await s.waitText("#conv-title", (t) => t === `E2E unified: second ${stamp}`);
  await s.waitText("[role=log]", (t) => t.includes("A question for the second agent"));
  const secondName = await s.waitText(".status-bar .who", (t) => t !== firstName);
  assert.notEqual(secondName, firstName);
  const kept = await s.execute(
    "const r = document.querySelector(arguments[0]); return [document.querySelector('#inbox-list').scrollTop, r.classList.contains('selected'), r.getAttribute('aria-current')];",
    [row(second, forSecond)],
  );
  assert.deepEqual(kept, [scrolled, true, "true"]);

  const reply = `Answered by the second agent ${stamp}`;
  const composer = await s.find("#composer-input");
  await composer.type(reply);
  await composer.type("\uE007"); // Enter sends
  const sent = await eventually(
    "the reply on the sandbox",
    async () => (await sb.messages(customerToken, forSecond)).filter((m) => m.message === reply),
    { timeout: 15_000 },
  );
  assert.equal(sent.length, 1);
  // In a group, `to` names the sender: the second agent, not the first.
  assert.equal(sent[0].to, second.userId);
  await shot("unified-replied");
  await sleep(100);
});
