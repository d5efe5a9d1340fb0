// What the E2E tests do in the app the same way: sign in, wait for things, keep screenshots.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "./webdriver.mjs";

/** Sign in on the sign-in screen to the sandbox described by `ready`, as `user`. */
export async function signIn(s, ready, user) {
  await s.find("#signin-title");
  await s.execute(
    "const el = document.querySelector('#signin-server'); el.value = 'custom'; el.dispatchEvent(new Event('change', {bubbles: true}));",
  );
  await (await s.find("#signin-customUrl")).type(ready.http);
  await (await s.find("#signin-customBroker")).type(ready.mqtt);
  await (await s.find("#signin-appKey")).type(ready.applicationId);
  await (await s.find("#signin-userId")).type(user.userId);
  await (await s.find("#signin-password")).type(user.password);
  await (await s.find("#signin-submit")).click();
  await s.find("#inbox-list [data-id]", { timeout: 30_000 });
}

/** Sign in to the sandbox's WapiKit (WhatsApp) with its demo API key, on the sign-in screen. */
export async function signInWapikit(s, ready) {
  await s.find("#signin-title");
  await (await s.find("label:has(> #signin-platform-wapikit)")).click();
  const url = await s.find("#signin-wapikitUrl");
  await s.execute(
    "const el = document.querySelector('#signin-wapikitUrl'); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await url.type(ready.wapikitUrl);
  await (await s.find("#signin-apiKey")).type(ready.wapikitKey);
  await shot(s, "wapikit-signin");
  await (await s.find("#signin-submit")).click();
  // Signed in: the inbox is back, and a WhatsApp account is in it (in the scope menu beside
  // other accounts; alone, its rows are the list).
  await eventually(
    "the WhatsApp account in the inbox",
    () =>
      s.execute(
        `const scope = document.querySelector('#inbox-scope');
         return scope
           ? [...scope.options].some((o) => o.value.startsWith('account:wapikit-'))
           : !!document.querySelector('#inbox-list [data-id^="w:"]');`,
      ),
    { timeout: 30_000 },
  );
}

/** One more account, on WapiKit: "Add account" in the account switcher, then WhatsApp. */
export async function addWapikitAccount(s, ready) {
  await (await s.find(".rail .switcher button[aria-haspopup]")).click();
  await (await s.find("#account-panel button.add")).click();
  await signInWapikit(s, ready);
}

/** Poll `probe` until it returns a truthy value (returned) or the time is up (throws). */
export async function eventually(what, probe, { timeout = 10_000, every = 200 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(every);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Keep a screenshot of the window in the run's artifacts folder. */
export async function shot(s, name) {
  const dir = process.env.E2E_ARTIFACTS;
  if (!dir || !s) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.png`), await s.screenshotPng().catch(() => Buffer.alloc(0)));
}

/** Open the conversation `g:<group>` from the inbox list and wait for its timeline. */
export async function openConversation(s, group) {
  await (await s.find(`#inbox-list [data-id="g:${group}"]`, { timeout: 10_000 })).click();
  await s.waitText("#conv-title", (t) => t.length > 0);
}

/** Sign in to one more account: the account switcher's "Add account", then the sign-in form. */
export async function addAccount(s, ready, user) {
  await (await s.find(".rail .switcher button[aria-haspopup]")).click();
  await (await s.find("#account-panel button.add")).click();
  await signIn(s, ready, user);
}

/** Pick what the unified inbox shows (`all`, `account:<id>`, `platform:<platform>`). */
export async function chooseScope(s, value) {
  await s.find("#inbox-scope");
  await s.execute(
    "const el = document.querySelector('#inbox-scope'); el.value = arguments[0]; el.dispatchEvent(new Event('change', {bubbles: true}));",
    [value],
  );
}
