// Dixa end users in the real window against the sandbox's Dixa API (`/v1`): the agent puts
// the sandbox's Dixa token in Settings › Dixa (a wrong one is refused with Dixa's own words
// first), opens a conversation whose customer is a Dixa end user (created through the Dixa API
// here when the demo data has none with that email), sees them in the contact panel,
// anonymizes them after the confirmation, and the sandbox's Dixa says they are anonymized.
// The token never reaches the app's settings file or anything else in its profile.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { eventually, openConversation, shot as keep, signIn } from "./app.mjs";

const agent = sb.ready.agents[0];
const customer = sb.ready.customers[7] ?? sb.ready.customers.at(-1);
const dixaToken = sb.ready.dixaToken;
let s;
let group;
let profile;
let endUser;

const shot = (name) => keep(s, name);

/** A call to the sandbox's Dixa API with its token; the parsed answer (`{data}` unwrapped). */
async function dixa(method, path, body) {
  let res;
  // The app uses the same token: wait out Dixa's rate limit (429 + Retry-After) as it does.
  for (let attempt = 0; attempt < 5; attempt++) {
    res = await fetch(`${sb.ready.http}/v1${path}`, {
      method,
      headers: { Authorization: dixaToken, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status !== 429) break;
    await sleep(1000 * Number(res.headers.get("retry-after") ?? 1));
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`Dixa ${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text).data;
}

before(async () => {
  assert.ok(dixaToken, "the sandbox's ready line names its Dixa token");
  const agentToken = await sb.tokenFor(agent);
  const customerToken = await sb.tokenFor(customer);
  profile = await sb.userDetail(agentToken, customer.userId);
  assert.ok(profile?.email, `the demo customer ${customer.userId} has an email`);
  // The customer as a Dixa end user: the demo's Dixa data has other people, so create them.
  const found = await dixa("GET", `/endusers?email=${encodeURIComponent(profile.email)}`);
  endUser = found[0] ?? (await dixa("POST", "/endusers", { displayName: profile.displayName ?? customer.userId, email: profile.email }));
  assert.equal(endUser.anonymizedAt ?? null, null, "the end user starts not anonymized");

  s = await Session.start();
  await signIn(s, sb.ready, agent);
  await s.cmd("POST", "/window/rect", { width: 1280, height: 800 }).catch(() => {});
  group = await sb.startConversation(customerToken, "E2E: Dixa", agent.userId);
  await sb.send(customerToken, group, "Please delete my data from your systems.");
});

after(async () => {
  await shot("dixa-last");
  await s?.quit().catch(() => {});
});

/** Replace an input's text the way a person would: clear it, then type. */
async function retype(css, text) {
  await s.execute(
    "const el = document.querySelector(arguments[0]); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));",
    [css],
  );
  await (await s.find(css)).type(text);
}

test("test_dixa_token_is_checked_in_settings_and_a_wrong_one_is_refused", async () => {
  await (await s.find("#settings-button")).click();
  await (await s.find("#settings-tab-dixa")).click();
  await s.waitText("#dixa-state", (t) => t.includes("No token saved"));
  // A local (sandbox) account defaults to the sandbox's own Dixa API.
  const url = await s.execute("return document.querySelector('#dixa-url').value;");
  assert.equal(url, `${sb.ready.http}/v1`);

  await retype("#dixa-token", "not-the-token");
  await (await s.find("#dixa-connect")).click();
  await s.waitText("#dixa-token-error", (t) => t.startsWith("Dixa refused this API token"), { timeout: 15_000 });
  await s.waitText("#dixa-state", (t) => t.includes("No token saved"));

  await retype("#dixa-token", dixaToken);
  await (await s.find("#dixa-connect")).click();
  await s.waitText("#dixa-state", (t) => t === `Connected to ${sb.ready.http}/v1`, { timeout: 15_000 });
  // The page does not keep (or get back) the token.
  const page = await s.execute("return document.documentElement.outerHTML + document.querySelector('#dixa-token').value;");
  assert.ok(!page.includes(dixaToken), "the token is not in the page after saving");
  await shot("dixa-settings");
  await (await s.find("dialog#settings button.close")).click();
  await eventually("the settings to close", () => s.execute("return !document.querySelector('dialog#settings');"));
});

test("test_anonymizing_the_customer_in_the_contact_panel_anonymizes_the_dixa_end_user", async () => {
  await openConversation(s, group);
  const toggle = await s.find("#contact-toggle");
  if ((await toggle.attr("aria-expanded")) !== "true") await toggle.click();
  const name = endUser.displayName ?? profile.displayName;
  await s.waitText("#dixa-name", (t) => t === name, { timeout: 20_000 });
  await s.waitText("#dixa-section", (t) => t.includes("Found by email"));
  await s.find("#dixa-conversations, #dixa-section .note", { timeout: 10_000 });
  await shot("dixa-panel");

  await (await s.find("#dixa-anonymize")).click();
  await s.waitText("#dixa-anonymize-title", (t) => t === `Anonymize ${name} in Dixa?`);
  await s.waitText("#dixa-anonymize-text", (t) => t.includes("cannot be undone"));
  await shot("dixa-confirm");
  await (await s.find("#dixa-anonymize-confirm")).click();
  await s.waitText("#dixa-anonymized", (t) => t.startsWith("Anonymized in Dixa"), { timeout: 20_000 });
  await s.waitText("#dixa-name", (t) => t === "Anonymized user");

  const after = await dixa("GET", `/endusers/${endUser.id}`);
  assert.ok(after.anonymizedAt, `Dixa marks the end user anonymized: ${JSON.stringify(after)}`);
  assert.equal(after.email ?? null, null);
  assert.notEqual(after.displayName, name);
});

function* files(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

test("test_the_dixa_token_is_not_in_the_settings_file_or_anywhere_in_the_profile", async () => {
  // Give the app a moment to flush logs and the settings file.
  await sleep(300);
  const config = process.env.XDG_CONFIG_HOME;
  assert.ok(config, "the E2E desktop sets XDG_CONFIG_HOME");
  const settings = readFileSync(join(config, "io.parley.desktop", "settings.json"), "utf8");
  assert.ok(!settings.includes(dixaToken), "the token is not in settings.json");
  const hits = [];
  let scanned = 0;
  for (const v of ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"]) {
    if (!process.env[v]) continue;
    for (const f of files(join(process.env[v], "io.parley.desktop"))) {
      scanned++;
      if (readFileSync(f).toString("latin1").includes(dixaToken)) hits.push(f);
    }
  }
  assert.ok(scanned >= 3, `the profile was written (${scanned} files)`);
  assert.deepEqual(hits, [], "files holding the Dixa token");
});
