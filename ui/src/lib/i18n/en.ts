// English, the reference catalogue, one file per capability under `en/` (keys `<area>.<what>`).
// Add strings to your capability's file and use them through `t()` from `lib/i18n`.
import { common } from "./en/common";
import { settings } from "./en/settings";
import { messages } from "./en/messages";
import { composer } from "./en/composer";

export const en = {
  ...common,
  ...settings,
  ...messages,
  ...composer,
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof en;
