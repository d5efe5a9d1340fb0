// The README's picture: sign in to the demo sandbox, open a conversation, and save what the
// window shows (PNG) to SCREENSHOT_OUT. Run by `cargo xtask run --screenshot FILE`;
// PARLEY_SHOT_SCREEN=settings pictures the settings screen instead.
import { writeFileSync } from "node:fs";
import { Session, sleep } from "./webdriver.mjs";
import * as sb from "./sandbox.mjs";
import { signIn } from "./app.mjs";

const out = process.env.SCREENSHOT_OUT;
if (!out) throw new Error("SCREENSHOT_OUT must be set");
const s = await Session.start();
try {
  await signIn(s, sb.ready, sb.ready.agents[0]);
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
  // Images and fonts settle; the live status reaches "online".
  await sleep(1_500);
  writeFileSync(out, await s.screenshotPng());
} finally {
  await s.quit().catch(() => {});
}
