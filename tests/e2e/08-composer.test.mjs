// The composer in the real window against the sandbox: a card and suggested replies built in
// the rich composer arrive on the server as Kommunicate rich messages (metadata contentType
// "300", the template id, the payload as a JSON string) and show in the timeline; a canned
// response with {{customer.name}} is created, inserted with "/" and sent with the name filled.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Session } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, openConversation, shot as keep, signIn } from "./app.mjs";

const agent = sb.ready.agents[0];
const customer = sb.ready.customers[0];
let s;
let customerToken;
let group;

const shot = (name) => keep(s, name);
const ENTER = "\uE007";

before(async () => {
  customerToken = await sb.tokenFor(customer);
  s = await Session.start();
  await signIn(s, sb.ready, agent);
  group = await sb.startConversation(customerToken, "E2E: composer", agent.userId);
  await sb.send(customerToken, group, "Which plan should I take?");
  await openConversation(s, group);
  await s.waitText("[role=log]", (t) => t.includes("Which plan should I take?"));
});

after(async () => {
  await shot("composer-last");
  await s?.quit().catch(() => {});
});

/** Type into the element matching `css` (it must exist). */
async function typeInto(css, text) {
  await (await s.find(css)).type(text);
}

/** The message with this text as the sandbox stores it. */
function stored(text) {
  return eventually(`"${text}" in the sandbox`, async () => (await sb.messages(customerToken, group)).find((m) => m.message === text));
}

async function openRichComposer() {
  await (await s.find("#rich-button")).click();
  await s.find("#rich-composer[open]");
}

async function dialogGone(css) {
  await eventually(`${css} to close`, async () => (await s.execute("return !document.querySelector(arguments[0])", [css])) === true);
}

test("test_a_card_built_in_the_rich_composer_reaches_the_sandbox_as_template_10_and_shows_in_the_timeline", async () => {
  await openRichComposer();
  await (await s.find("#rich-kind-cards")).click();
  await typeInto("#rich-text", "E2E: our plans");
  await typeInto("#rich-cards-0-title", "Growth");
  await typeInto("#rich-cards-0-subtitle", "$49/month");
  await typeInto("#rich-cards-0-description", "Up to 20 seats");
  await typeInto("#rich-cards-0-image", "https://img.example.com/growth.png");
  await (await s.find("#rich-cards-0-add-button")).click();
  await typeInto("#rich-cards-0-buttons-0-label", "Upgrade");
  await typeInto("#rich-cards-0-buttons-0-url", "https://example.com/upgrade");
  // The live preview shows the card before it is sent.
  await s.waitText("#rich-preview", (t) => t.includes("Growth") && t.includes("Upgrade"));
  await shot("composer-rich-card");
  await (await s.find("#rich-send")).click();
  await dialogGone("#rich-composer");

  const m = await stored("E2E: our plans");
  assert.equal(m.metadata.contentType, "300");
  assert.equal(m.metadata.templateId, "10");
  assert.equal(typeof m.metadata.payload, "string");
  assert.deepEqual(JSON.parse(m.metadata.payload), [
    {
      title: "Growth",
      subtitle: "$49/month",
      description: "Up to 20 seats",
      header: { imgSrc: "https://img.example.com/growth.png" },
      buttons: [{ name: "Upgrade", action: { type: "link", payload: { url: "https://example.com/upgrade" } } }],
    },
  ]);
  await s.waitText("[role=log] .cards", (t) => t.includes("Growth") && t.includes("Upgrade"));
});

test("test_suggested_replies_reach_the_sandbox_as_template_6_with_title_and_message", async () => {
  await openRichComposer();
  await (await s.find("#rich-kind-replies")).click();
  await typeInto("#rich-text", "E2E: anything else?");
  await typeInto("#rich-replies-0-label", "Yes");
  await typeInto("#rich-replies-0-reply", "Yes, one more thing");
  await (await s.find("#rich-add-reply")).click();
  await typeInto("#rich-replies-1-label", "No, thanks");
  await s.waitText("#rich-preview", (t) => t.includes("Yes") && t.includes("No, thanks"));
  await (await s.find("#rich-send")).click();
  await dialogGone("#rich-composer");

  const m = await stored("E2E: anything else?");
  assert.equal(m.metadata.contentType, "300");
  assert.equal(m.metadata.templateId, "6");
  assert.deepEqual(JSON.parse(m.metadata.payload), [
    { title: "Yes", message: "Yes, one more thing" },
    { title: "No, thanks", message: "No, thanks" },
  ]);
  await s.waitText("[role=log]", (t) => t.includes("E2E: anything else?") && t.includes("No, thanks"));
});

test("test_a_canned_response_with_the_customer_name_is_created_inserted_with_slash_and_sent_filled_in", async () => {
  const agentToken = await sb.tokenFor(agent);
  const name = await sb.displayName(agentToken, customer.userId);
  assert.notEqual(name, customer.userId, "the demo customer has a display name");

  await (await s.find("#canned-button")).click();
  await s.find("#canned-manager[open]");
  await typeInto("#canned-shortcut", "e2ehello");
  await typeInto("#canned-text", "Hello {{customer.name}}, thanks for waiting!");
  await (await s.find("#canned-save")).click();
  await s.waitText("#canned-manager ul", (t) => t.includes("/e2ehello"));
  await (await s.find("#canned-manager button.close")).click();
  await dialogGone("#canned-manager");

  await typeInto("#composer-input", "/e2eh");
  await s.find('#canned-menu [role=option][data-canned-id]');
  await shot("composer-canned-menu");
  await typeInto("#composer-input", ENTER);
  const expected = `Hello ${name}, thanks for waiting!`;
  await eventually("the filled-in response in the box", async () => (await s.execute("return document.querySelector('#composer-input').value")) === expected);
  await typeInto("#composer-input", ENTER);
  const m = await stored(expected);
  assert.equal(m.message, expected);
  await s.waitText("[role=log]", (t) => t.includes(expected));
});
