-- Accounts on other platforms than Kommunicate/Applozic (WapiKit). Existing accounts are
-- Kommunicate accounts.
ALTER TABLE accounts ADD COLUMN platform TEXT NOT NULL DEFAULT 'kommunicate';
