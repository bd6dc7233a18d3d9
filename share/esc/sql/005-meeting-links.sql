-- 005-meeting-links.sql — schema version 5: every meeting link a handover
-- was given, not only the newest.
--
-- A link's token is kept only as a hash, so a notification that failed is
-- retried with a new link. The first may still have reached the agents (a
-- webhook that timed out after it read the request), and the --record
-- output showed it: it must keep working. Each link made is a row here,
-- with its own expiry; the handover's meeting_used_at spends them all, so
-- a handover is still joined once. handovers.meeting_token and
-- meeting_expires_at stay as the newest link's.
CREATE TABLE handover_links (
	token        TEXT PRIMARY KEY,     -- SHA-256 of the link's token, hex
	handover_id  INTEGER NOT NULL REFERENCES handovers (id) ON DELETE CASCADE,
	expires_at   INTEGER,
	made_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX handover_links_handover ON handover_links (handover_id);

INSERT INTO handover_links (token, handover_id, expires_at, made_at)
	SELECT meeting_token, id, meeting_expires_at, updated_at
	FROM handovers WHERE meeting_token IS NOT NULL;
