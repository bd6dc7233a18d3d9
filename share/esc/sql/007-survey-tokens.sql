-- 007-survey-tokens.sql — schema version 7: every token a step was shown
-- or sent with, not only the newest.
--
-- A step the provider failed (a 5xx) is tried again by a later
-- survey-send --due, with a new token, since only the token's hash is
-- kept. The failed try may still have reached the person (a provider can
-- send and then report an error), and the answer that comes through its
-- link must be taken, not refused as unknown. Each token made is a row
-- here, with when it was made and its own expiry; the attempt's used_at
-- spends them all, so a step is still answered once.
-- survey_attempts.token and expires_at stay as the newest token's.
CREATE TABLE survey_tokens (
	token       TEXT PRIMARY KEY,     -- SHA-256 of the token, hex
	attempt_id  INTEGER NOT NULL REFERENCES survey_attempts (id) ON DELETE CASCADE,
	made_at     INTEGER NOT NULL,     -- when the step was shown, or claimed to be sent, with it
	expires_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX survey_tokens_attempt ON survey_tokens (attempt_id);

INSERT INTO survey_tokens (token, attempt_id, made_at, expires_at)
	SELECT token, id, coalesce(sent_at, claimed_at, due_at), expires_at
	FROM survey_attempts WHERE token IS NOT NULL;
