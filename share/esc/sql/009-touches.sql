-- 009-touches.sql — schema version 9: one escalation per conversation on
-- the human route, and touches counted from the store.
--
-- A customer who writes three angry messages in one chat is one case, not
-- three: a human-route message whose conversation already has a human
-- escalation open at the message's time joins it (questions.joined_id)
-- instead of opening another. Conversions and events that name such a
-- message by its id reach the escalation it joined.
--
-- An escalation's touches are counted by esc-log from what the store
-- holds (share/esc/store/touches.json says how), and never fall below the
-- most any of its messages said: that is touches_given. A store written
-- before this version keeps its escalations as they were, one per message,
-- with the touches their lines said.
ALTER TABLE questions ADD COLUMN joined_id INTEGER REFERENCES escalations (id) ON DELETE SET NULL;
ALTER TABLE escalations ADD COLUMN touches_given INTEGER;
UPDATE escalations SET touches_given = touches;

-- the messages that joined an escalation, and the case a deleted
-- escalation leaves them out of
CREATE INDEX questions_joined ON questions (joined_id) WHERE joined_id IS NOT NULL;
-- a customer's conversations within the window before an escalation; it
-- still finds a customer's questions for crm-track --forget, as the index
-- it replaces did
DROP INDEX questions_user;
CREATE INDEX questions_user ON questions (user_id, created_at, conversation_id)
	WHERE user_id IS NOT NULL;
-- the human escalation a conversation has open
CREATE INDEX escalations_conversation ON escalations (conversation_id, created_at)
	WHERE conversation_id IS NOT NULL AND route = 'human';
