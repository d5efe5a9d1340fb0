// English, the reference catalogue, one file per capability under `en/` (keys `<area>.<what>`).
// Add strings to your capability's file and use them through `t()` from `lib/i18n`.
import { common } from "./en/common";
import { settings } from "./en/settings";
import { messages } from "./en/messages";
import { composer } from "./en/composer";
import { contacts } from "./en/contacts";
import { groups } from "./en/groups";
import { shortcuts } from "./en/shortcuts";
import { accounts } from "./en/accounts";
import { attachments } from "./en/attachments";
import { format } from "./en/format";
import { conversation } from "./en/conversation";
import { inbox } from "./en/inbox";
import { shell } from "./en/shell";
import { dixa } from "./en/dixa";

export const en = {
  ...common,
  ...settings,
  ...messages,
  ...composer,
  ...contacts,
  ...groups,
  ...shortcuts,
  ...accounts,
  ...attachments,
  ...format,
  ...conversation,
  ...inbox,
  ...shell,
  ...dixa,
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof en;
