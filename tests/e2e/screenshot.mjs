// The README's picture: sign in to the demo sandbox, open a conversation, and save what the
// window shows (PNG) to SCREENSHOT_OUT. Run by `cargo xtask run --screenshot FILE`;
// PARLEY_SHOT_SCREEN=settings pictures the settings screen instead; =composer the rich composer;
// =palette the command palette; =shortcuts the shortcut settings;
// =contact the conversation with the contact panel open; =groups the group screen;
// =dixa the contact panel's Dixa section (the token put in Settings › Dixa first);
// =dixa-settings Settings › Dixa connected to the sandbox.
// =unified two agents signed in at once: the unified inbox with its badges.
import { writeFileSync } from "node:fs";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { addAccount, signIn } from "./app.mjs";

const out = process.env.SCREENSHOT_OUT;
if (!out) throw new Error("SCREENSHOT_OUT must be set");
const s = await Session.start();
try {
  await signIn(s, sb.ready, sb.ready.agents[0]);
  // PARLEY_SHOT_SCREEN=unified: a second agent too; the inbox lists both accounts' conversations.
  if (process.env.PARLEY_SHOT_SCREEN === "unified") {
    await addAccount(s, sb.ready, sb.ready.agents[1]);
    await s.find("#inbox-scope");
  }
  // The agent's own queue, newest first; open the conversation at the top.
  await (await s.find("#tab-assigned_to_me")).click();
  await sleep(300);
  await (await s.find("#inbox-list [data-id]")).click();
  await s.waitText("#conv-title", (t) => t.length > 0);
  await s.find("[role=log] [data-key]");
  // PARLEY_SHOT_SCREEN=settings: the settings screen over it (notifications, quiet hours on).
  if (process.env.PARLEY_SHOT_SCREEN === "settings") {
    await (await s.find("#settings-button")).click();
    await (await s.find("dialog#settings[open] #quiet-enabled")).click();
    await s.waitText("#quiet-note", (t) => t.startsWith("Quiet every"));
  }
  // PARLEY_SHOT_SCREEN=composer: the rich composer with a card being written, and its preview.
  if (process.env.PARLEY_SHOT_SCREEN === "composer") {
    const typeInto = async (css, text) => (await s.find(css)).type(text);
    await (await s.find("#rich-button")).click();
    await s.find("#rich-composer[open]");
    await (await s.find("#rich-kind-cards")).click();
    await typeInto("#rich-text", "Here are the plans that fit your team");
    await typeInto("#rich-cards-0-title", "Growth");
    await typeInto("#rich-cards-0-subtitle", "$49 / month");
    await typeInto("#rich-cards-0-description", "Up to 20 seats, priority support, SSO");
    await (await s.find("#rich-cards-0-add-button")).click();
    await typeInto("#rich-cards-0-buttons-0-label", "Upgrade");
    await typeInto("#rich-cards-0-buttons-0-url", "https://example.com/upgrade");
    await s.waitText("#rich-preview", (t) => t.includes("Growth") && t.includes("Upgrade"));
  }
  // PARLEY_SHOT_SCREEN=shortcuts: Settings → Shortcuts.
  if (process.env.PARLEY_SHOT_SCREEN === "shortcuts") {
    await (await s.find("#settings-button")).click();
    await (await s.find("#settings-tab-shortcuts")).click();
    await s.find("#shortcuts-table");
  }
  // PARLEY_SHOT_SCREEN=palette: the command palette (Ctrl+K) with a few letters typed.
  if (process.env.PARLEY_SHOT_SCREEN === "palette") {
    await (await s.find("#inbox-search")).type("\uE009k\uE000");
    await (await s.find("#palette-input")).type("re");
    await s.find("#palette-list [data-conversation]", { timeout: 5_000 });
  }
  // PARLEY_SHOT_SCREEN=contact: the customer's panel beside the conversation.
  if (process.env.PARLEY_SHOT_SCREEN === "contact") {
    const toggle = await s.find("#contact-toggle");
    if ((await toggle.attr("aria-expanded")) !== "true") await toggle.click();
    await s.waitText("#contact-name-text", (t) => t.length > 0, { timeout: 15_000 });
    await s.find("#contact-attributes");
  }
  // PARLEY_SHOT_SCREEN=groups: the group screen on the demo "Support team" group, with some
  // metadata and muted for 8 hours.
  if (process.env.PARLEY_SHOT_SCREEN === "groups") {
    await (await s.find("#groups-button")).click();
    await s.find("#group-list [data-group-id]", { timeout: 15_000 });
    const id = await s.execute(
      "return [...document.querySelectorAll('#group-list [data-group-id]')].find((r) => r.textContent.includes('Support team'))?.dataset.groupId",
    );
    if (!id) throw new Error("the demo group 'Support team' is not listed");
    const token = await sb.tokenFor(sb.ready.agents[0]);
    await sb.rest(token, "POST", "/rest/ws/group/update", {
      groupId: Number(id.slice(2)),
      metadata: { team: "Tier 1", region: "EU", hours: "Mon–Fri 08:00–18:00 CET" },
    });
    await (await s.find(`#group-list [data-group-id="${id}"]`)).click();
    await s.waitText("[data-group] .meta", (t) => t.includes("Tier 1"), { timeout: 15_000 });
    await s.execute(
      "const el = document.querySelector('#group-mute'); el.value = '8h'; el.dispatchEvent(new Event('change', {bubbles: true}));",
    );
    await s.find("#group-muted");
  }
  // PARLEY_SHOT_SCREEN=dixa / dixa-settings: the sandbox's Dixa token saved through Settings ›
  // Dixa; for `dixa`, the demo's Dixa end user Ingrid Larsen (attributes, conversations) is
  // given the open customer's name and email, so the contact panel finds her.
  if (process.env.PARLEY_SHOT_SCREEN?.startsWith("dixa")) {
    await (await s.find("#settings-button")).click();
    await (await s.find("#settings-tab-dixa")).click();
    await s.waitText("#dixa-state", (t) => t.length > 1);
    await (await s.find("#dixa-token")).type(sb.ready.dixaToken);
    await (await s.find("#dixa-connect")).click();
    await s.waitText("#dixa-state", (t) => t.startsWith("Connected"), { timeout: 15_000 });
    if (process.env.PARLEY_SHOT_SCREEN === "dixa") {
      await (await s.find("dialog#settings button.close")).click();
      const toggle = await s.find("#contact-toggle");
      if ((await toggle.attr("aria-expanded")) !== "true") await toggle.click();
      const email = await s.waitText("#contact-email-text", (t) => t.includes("@"), { timeout: 15_000 });
      const name = await s.waitText("#contact-name-text", (t) => t.length > 0);
      const dixa = async (method, path, body) => {
        let res;
        // The app uses the same token: wait out Dixa's rate limit (429 + Retry-After) as it does.
        for (let attempt = 0; attempt < 5; attempt++) {
          res = await fetch(`${sb.ready.http}/v1${path}`, {
            method,
            headers: { Authorization: sb.ready.dixaToken, "content-type": "application/json" },
            body: body ? JSON.stringify(body) : undefined,
          });
          if (res.status !== 429) break;
          await sleep(1000 * Number(res.headers.get("retry-after") ?? 1));
        }
        if (!res.ok) throw new Error(`Dixa ${method} ${path}: ${res.status} ${await res.text()}`);
        return (await res.json()).data;
      };
      const [ingrid] = await dixa("GET", "/endusers?email=ingrid.larsen@example.com");
      if (!ingrid) throw new Error("the demo Dixa end user Ingrid Larsen is missing");
      await dixa("PATCH", `/endusers/${ingrid.id}`, { displayName: name, email, firstName: null, lastName: null });
      // Look the customer up again now that Dixa has them.
      await (await s.find("#settings-button")).click();
      await (await s.find("#settings-tab-dixa")).click();
      await (await s.find("#dixa-connect")).click();
      await s.waitText("#dixa-notice", (t) => t.length > 0, { timeout: 15_000 });
      await (await s.find("dialog#settings button.close")).click();
      await s.waitText("#dixa-name", (t) => t === name, { timeout: 15_000 });
      await s.find("#dixa-conversations li", { timeout: 15_000 });
      await s.execute("document.querySelector('#dixa-section').scrollIntoView({block: 'start'});");
    }
  }
  // Images and fonts settle; the live status reaches "online".
  await sleep(1_500);
  writeFileSync(out, await s.screenshotPng());
} finally {
  await s.quit().catch(() => {});
}
