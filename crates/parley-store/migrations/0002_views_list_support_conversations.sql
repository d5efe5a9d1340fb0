-- The inbox views list support conversations only (group type 10): team groups and direct
-- chats leave them. The count triggers keep view_counts right.
UPDATE conversations SET v_open = 0, v_mine = 0, v_unassigned = 0, v_closed = 0, v_spam = 0
WHERE group_type != 10;
