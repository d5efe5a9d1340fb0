-- The view counters are touched only when a conversation's view membership or unread count
-- changed: bumping a conversation's activity time and preview (every stored message does) or
-- re-writing an unchanged row from a group sync no longer runs the counters' UPDATE.
DROP TRIGGER conv_counts_update;
CREATE TRIGGER conv_counts_update AFTER UPDATE OF v_open, v_mine, v_unassigned, v_closed, v_spam, unread
ON conversations
WHEN OLD.v_open IS NOT NEW.v_open OR OLD.v_mine IS NOT NEW.v_mine
    OR OLD.v_unassigned IS NOT NEW.v_unassigned OR OLD.v_closed IS NOT NEW.v_closed
    OR OLD.v_spam IS NOT NEW.v_spam OR OLD.unread IS NOT NEW.unread
BEGIN
    UPDATE view_counts SET
        mine = mine - OLD.v_mine + NEW.v_mine,
        unassigned = unassigned - OLD.v_unassigned + NEW.v_unassigned,
        open = open - OLD.v_open + NEW.v_open,
        closed = closed - OLD.v_closed + NEW.v_closed,
        spam = spam - OLD.v_spam + NEW.v_spam,
        unread = unread - OLD.v_open * OLD.unread + NEW.v_open * NEW.unread
    WHERE account = NEW.account;
END;
