// Files in the timeline (save and open, image previews, the lightbox) and uploads in progress.
export const attachments = {
  "attachments.saveAndOpen": "Save to Downloads and open",
  "attachments.savedTo": "Saved to {path}",
  "attachments.opening": "Opening…",
  "attachments.open": "Open",
  "attachments.view": "View {name}",
  "attachments.loading": "Loading {name}",

  "attachments.uploads": "Uploads",
  "attachments.uploading": "Uploading {name}",
  "attachments.progress": "{percent}% of {size}",
  "attachments.notSent": "Not sent: {message}",
  "attachments.dismiss": "Dismiss {name}",

  "attachments.empty": "{name} is empty.",
  "attachments.tooBig": "{name} is {size} MB; Parley sends files up to {max} MB.",
  "attachments.unreadable": "The file could not be read.",
} as const;
