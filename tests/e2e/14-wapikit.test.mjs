// WhatsApp beside Kommunicate in the real window: a Kommunicate agent and the WapiKit demo
// member signed in at once. The unified inbox shows conversations of both with their badges,
// narrows to WhatsApp by platform, a WhatsApp customer's message arrives live over WapiKit's
// event stream, and a reply typed in the composer reaches the WapiKit sandbox once, as an
// outbound WhatsApp message.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Session } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { addWapikitAccount, chooseScope, eventually, shot as keep, signIn } from "./app.mjs";

const agent = sb.ready.agents[0];
const stamp = Date.now().toString(36);
// A phone number of this run (WapiKit keeps one open conversation per contact).
const phone = `+44 7700 ${String(Date.now() % 1_000_000).padStart(6, "0")}`;
let s;
let customerToken;
let group;
/** The WhatsApp conversation's WapiKit id. */
let whatsapp;

const shot = (name) => keep(s, name);
const kmRow = () => `#inbox-list .row[data-id="g:${group}"]`;
const waRow = () => `#inbox-list .row[data-id="w:${whatsapp}"]`;
const rowsShown = () =>
  s.execute(
    "return [...document.querySelectorAll('#inbox-list .row')].map((r) => [r.dataset.id, r.querySelector('.platform')?.dataset.platform ?? null]);",
  );

before(async () => {
  customerToken = await sb.tokenFor(sb.ready.customers[8]);
  group = await sb.startConversation(customerToken, `E2E WhatsApp: Kommunicate side ${stamp}`, agent.userId);
  await sb.send(customerToken, group, "A question on the web chat");
  const started = await sb.wapikitInbound({ phone, name: `Wanda ${stamp}`, text: `Hi, is my order shipped? ${stamp}` });
  whatsapp = started.conversation.uniqueId;
  assert.ok(whatsapp, `a WapiKit conversation: ${JSON.stringify(started)}`);
  s = await Session.start();
  await signIn(s, sb.ready, agent);
  await addWapikitAccount(s, sb.ready);
  // A new WhatsApp conversation is nobody's yet: the "All" view holds both.
  await (await s.find("#tab-all")).click();
});

after(async () => {
  await shot("wapikit-last");
  await s?.quit().catch(() => {});
});

test("test_unified_inbox_shows_kommunicate_and_whatsapp_conversations_with_their_badges", async () => {
  await s.find(kmRow(), { timeout: 15_000 });
  await s.find(waRow(), { timeout: 15_000 });
  const badges = await s.execute(
    `return [arguments[0], arguments[1]].map((css) => {
       const p = document.querySelector(css).querySelector('.platform');
       return [p.dataset.platform, p.querySelector('[role=img]').getAttribute('aria-label')];
     });`,
    [kmRow(), waRow()],
  );
  assert.deepEqual(badges, [
    ["kommunicate", "Kommunicate"],
    ["wapikit", "WhatsApp"],
  ]);
  const preview = await s.execute("return document.querySelector(arguments[0]).textContent;", [waRow()]);
  assert.ok(preview.includes(`Wanda ${stamp}`), `the customer's name on the row: ${preview}`);
  const scope = await s.execute("return [...document.querySelectorAll('#inbox-scope option')].map((o) => o.value);");
  assert.ok(scope.includes("platform:wapikit") || scope.some((v) => v.startsWith("account:wapikit-")), JSON.stringify(scope));
  await shot("wapikit-unified");
});

/** The scope menu's entry that narrows to WhatsApp (by platform, or the WapiKit account). */
const whatsappScope = () =>
  s.execute(
    "return [...document.querySelectorAll('#inbox-scope option')].map((o) => o.value).find((v) => v === 'platform:wapikit' || v.startsWith('account:wapikit-'));",
  );

test("test_narrowing_to_whatsapp_shows_only_wapikit_rows", async () => {
  await chooseScope(s, await whatsappScope());
  const rows = await eventually("only WhatsApp rows", async () => {
    const r = await rowsShown();
    return r.length && r.every(([id, p]) => id.startsWith("w:") && p === "wapikit") ? r : null;
  });
  assert.ok(rows.some(([id]) => id === `w:${whatsapp}`));
  await chooseScope(s, "all");
  await s.find(kmRow());
});

test("test_replying_to_a_whatsapp_conversation_reaches_the_wapikit_sandbox_once", async () => {
  await (await s.find(waRow())).click();
  await s.waitText("#conv-title", (t) => t.includes(`Wanda ${stamp}`));
  await s.waitText("[role=log]", (t) => t.includes(`Hi, is my order shipped? ${stamp}`));

  // The contact panel shows the WhatsApp contact: name and number, read-only.
  await s.waitText("#contact-panel #contact-name-text", (t) => t === `Wanda ${stamp}`, { timeout: 10_000 });
  const digits = phone.replace(/\D/g, "");
  await s.waitText("#contact-panel #contact-phone-text", (t) => t.replace(/\D/g, "") === digits);
  const actions = await s.execute(
    "return ['#contact-edit', '#contact-block', '#contact-new-conversation'].map((id) => !!document.querySelector(id));",
  );
  assert.deepEqual(actions, [false, false, false]);
  const statusActions = await s.execute(
    "return [...document.querySelectorAll('.head .actions button')].map((b) => b.textContent.trim());",
  );
  assert.ok(statusActions.includes("Resolve") && !statusActions.includes("Spam"), JSON.stringify(statusActions));

  // The customer writes again: it arrives live over WapiKit's event stream.
  await sb.wapikitInbound({ conversationId: whatsapp, text: `Order number 4417 ${stamp}` });
  await s.waitText("[role=log]", (t) => t.includes(`Order number 4417 ${stamp}`), { timeout: 10_000 });

  const reply = `Shipped this morning, tracking follows ${stamp}`;
  const composer = await s.find("#composer-input");
  await composer.type(reply);
  await composer.type("\uE007"); // Enter sends
  const sent = await eventually(
    "the reply on the WapiKit sandbox",
    async () => {
      const all = await sb.wapikitMessages({ conversationId: whatsapp });
      const mine = all.filter((m) => m.messageData?.text === reply);
      return mine.length ? mine : null;
    },
    { timeout: 15_000 },
  );
  assert.equal(sent.length, 1, "sent once");
  assert.equal(sent[0].direction, "OutBound");
  assert.equal(sent[0].messageType, "Text");
  // The timeline shows it once, no longer queued.
  await eventually("the reply confirmed in the timeline", async () => {
    const states = await s.execute(
      "return [...document.querySelectorAll('[role=log] article.msg')].filter((m) => m.textContent.includes(arguments[0])).map((m) => m.querySelector('.ticks')?.dataset.state ?? '');",
      [reply],
    );
    return states.length === 1 && states[0] !== "queued" ? states : null;
  });
  await shot("wapikit-replied");
  // Still exactly one after the server's own copy came back over the event stream.
  const again = (await sb.wapikitMessages({ conversationId: whatsapp })).filter((m) => m.messageData?.text === reply);
  assert.equal(again.length, 1);
});

test("test_a_new_whatsapp_conversation_raises_a_desktop_notification_naming_the_customer", async () => {
  // The Kommunicate conversation on screen; a new WhatsApp customer writes.
  await (await s.find(kmRow())).click();
  await s.waitText("#conv-title", (t) => t.includes("Kommunicate side"));
  const name = `Nadia ${stamp}`;
  const text = `New here, do you ship to Malta? ${stamp}`;
  const started = await sb.wapikitInbound({ phone: `+356 7900 ${String(Date.now() % 10_000).padStart(4, "0")}`, name, text });
  await s.find(`#inbox-list .row[data-id="w:${started.conversation.uniqueId}"]`, { timeout: 5_000 });
  const log = await eventually("the Notify call naming the customer", () => {
    const l = readFileSync(process.env.NOTIFY_LOG, "utf8");
    return l.includes(name) ? l : null;
  });
  assert.ok(log.includes("member=Notify"), "a Notify call was made");
});

test("test_a_whatsapp_conversations_tags_show_as_chips_in_its_header", async () => {
  const { conversations } = await sb.wapikitApi("GET", "/conversations?page=1&per_page=50");
  const tagged = conversations.find((c) => (c.tags ?? []).length > 0);
  assert.ok(tagged, "the demo data has a tagged conversation");
  const labels = tagged.tags.map((t) => t.label);
  // Only WhatsApp rows, scrolled until the tagged one is drawn (the list is virtual).
  await chooseScope(s, await whatsappScope());
  const css = `#inbox-list .row[data-id="w:${tagged.uniqueId}"]`;
  await eventually("the tagged row drawn", async () => {
    const drawn = await s.execute("return !!document.querySelector(arguments[0]);", [css]);
    if (!drawn) await s.execute("const l = document.querySelector('#inbox-list'); l.scrollTop += l.clientHeight * 0.8;");
    return drawn;
  });
  await (await s.find(css)).click();
  const chips = await eventually("the tag chips", async () => {
    const c = await s.execute("return [...document.querySelectorAll('.head .tag-chip')].map((e) => e.textContent);");
    return c.length ? c : null;
  });
  assert.deepEqual(chips, labels);
  await shot("wapikit-tags");
  await chooseScope(s, "all");
});

test("test_the_palette_finds_a_whatsapp_conversation_from_a_kommunicate_one_and_opens_it", async () => {
  await (await s.find(kmRow())).click();
  await s.waitText("#conv-title", (t) => t.includes("Kommunicate side"));
  // Ctrl+K on the reply box (WebDriver keys: modifiers stay down until NULL).
  await (await s.find("#composer-input")).type("\uE009k\uE000");
  const input = await s.find("#palette-input");
  await input.type(`Wanda ${stamp}`);
  const option = `#palette-list [data-conversation="w:${whatsapp}"]`;
  await s.find(option, { timeout: 5_000 });
  const platform = await s.execute("return document.querySelector(arguments[0]).querySelector('.platform')?.dataset.platform;", [option]);
  assert.equal(platform, "wapikit");
  await shot("wapikit-palette");
  await input.type("\uE007");
  await s.waitText("#conv-title", (t) => t.includes(`Wanda ${stamp}`));
});
