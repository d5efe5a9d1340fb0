// Shared formatting (lib/format.ts): compact times, day separators, file sizes, and the
// conversation statuses shown as chips in the inbox, the header and the contact panel.
export const format = {
  "format.now": "now",
  "format.minutes": "{count}m",
  "format.hours": "{count}h",
  "format.today": "Today",
  "format.yesterday": "Yesterday",
  "format.size.B": "{size} B",
  "format.size.KB": "{size} KB",
  "format.size.MB": "{size} MB",
  "format.size.GB": "{size} GB",

  "status.initial": "New",
  "status.open": "Open",
  "status.progress": "In progress",
  "status.resolved": "Resolved",
  "status.spam": "Spam",
  "status.duplicate": "Duplicate",
  "status.archive": "Archived",
  "status.unresponded": "Unresponded",
  "status.waiting": "Waiting",
} as const;
