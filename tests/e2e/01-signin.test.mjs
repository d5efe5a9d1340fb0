// The app window: it opens, shows the sign-in screen, and a UI action reaches a Rust command
// and comes back. Run by `cargo xtask test` (tauri-driver + WebKitWebDriver under Xvfb).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";

let s;

before(async () => {
  s = await Session.start();
});

after(async () => {
  if (!s) return;
  const dir = process.env.E2E_ARTIFACTS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "shell-last.png"), await s.screenshotPng().catch(() => Buffer.alloc(0)));
  }
  await s.quit().catch(() => {});
});

test("test_window_opens_titled_parley_at_1280x800", async () => {
  assert.equal(await s.title(), "Parley");
  const rect = await s.windowRect();
  assert.equal(rect.width, 1280);
  assert.equal(rect.height, 800);
});

test("test_sign_in_screen_offers_every_server_preset", async () => {
  assert.equal(await s.waitText("#signin-title", (t) => t.length > 0), "Sign in");
  const labels = await s.execute(
    "return [...document.querySelectorAll('#signin-server option')].map(o => o.textContent.trim())",
  );
  assert.deepEqual(labels, [
    "Local sandbox",
    "Kommunicate cloud",
    "Kommunicate EU",
    "Applozic (legacy)",
    "Custom server",
  ]);
  // The version shown comes from Rust (app_info), not from the UI bundle.
  await s.waitText(".version", (t) => /^Version \d+\.\d+\.\d+/.test(t));
});

test("test_empty_form_gets_field_error_from_rust_command", async () => {
  await (await s.find("#signin-submit")).click();
  const msg = await s.waitText("#signin-appKey-error", (t) => t.length > 0);
  assert.match(msg, /application key/i);
  assert.equal(await (await s.find("#signin-appKey")).attr("aria-invalid"), "true");
});

test("test_unreachable_server_is_a_clear_error_not_a_hang", async () => {
  // The "Local sandbox" preset points at 127.0.0.1:18080, where nothing listens in this run.
  await (await s.find("#signin-appKey")).type("parley-sandbox");
  await (await s.find("#signin-userId")).type("agent@parley.test");
  await (await s.find("#signin-password")).type("a password");
  await (await s.find("#signin-submit")).click();
  const msg = await s.waitText("[role=alert]", (t) => t.length > 0, { timeout: 20_000 });
  assert.match(msg, /Can't reach 127\.0\.0\.1:18080/);
});

test("test_custom_server_with_bad_url_is_rejected_on_its_field", async () => {
  await s.execute(
    "const el = document.querySelector('#signin-server'); el.value = 'custom'; el.dispatchEvent(new Event('change', {bubbles: true}));",
  );
  await (await s.find("#signin-customUrl")).type("javascript:alert(1)");
  await (await s.find("#signin-submit")).click();
  const msg = await s.waitText("#signin-customUrl-error", (t) => t.length > 0);
  assert.match(msg, /http:\/\/ or https:\/\//);
});
