-- 003-survey.sql — survey-send (seed 002), schema version 3: a survey
-- chain per ended session, its attempts over each channel, the answers,
-- the unresolved problems they reveal and the handover to a human.
--
-- Times are INTEGER seconds since 1970-01-01 UTC, as in 001. Tokens are
-- never stored: only the SHA-256 of each, in hex (lib/token.c).

-- One chain per ended session: in_widget -> ai_call -> sms_link ->
-- email_link, stopped by the first complete answer.
CREATE TABLE surveys (
	id              INTEGER PRIMARY KEY,
	session_id      TEXT NOT NULL UNIQUE,     -- the session's id (natural key)
	customer_id     TEXT NOT NULL,            -- contacts.customer_id
	ended_at        INTEGER NOT NULL,         -- when the session ended
	resolution      TEXT,                     -- as the session line said: successful, failed, ...
	problem         TEXT,                     -- the customer's problem, as the session line said
	state           TEXT NOT NULL DEFAULT 'open' CHECK (state = 'open' OR
	                       state = 'answered' OR state = 'declined' OR state = 'exhausted'),
	step            TEXT NOT NULL CHECK (step = 'in_widget' OR step = 'ai_call' OR
	                       step = 'sms_link' OR step = 'email_link'),
	                                          -- the step in progress, or the last one
	next_at         INTEGER,                  -- when survey-send --due looks again; NULL: finished
	method          TEXT,                     -- the step whose answer completed the chain
	answered_at     INTEGER,
	problem_solved  INTEGER CHECK (problem_solved IS NULL OR problem_solved = 0 OR problem_solved = 1),
	rating          INTEGER CHECK (rating IS NULL OR (rating >= 1 AND rating <= 5)),
	nps             INTEGER CHECK (nps IS NULL OR (nps >= 0 AND nps <= 10)),
	would_recommend INTEGER CHECK (would_recommend IS NULL OR would_recommend = 0 OR would_recommend = 1),
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
-- survey-send --due, every minute: only the chains that wait on the clock
CREATE INDEX surveys_due ON surveys (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX surveys_customer ON surveys (customer_id, created_at);
-- esc-stats: CSAT, NPS, problem-solved rate in a time range
CREATE INDEX surveys_report ON surveys (ended_at, state, method, problem_solved, rating, nps);

-- Each step of a chain: shown, sent, skipped (and why) or failed. A send
-- is claimed (state 'claimed', committed) before the provider is called
-- and marked 'sent' after it accepted; a claim a crash left behind is
-- never sent again (see survey-send(1), CRASHES).
CREATE TABLE survey_attempts (
	id          INTEGER PRIMARY KEY,
	survey_id   INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
	customer_id TEXT NOT NULL,                -- the survey's, for throttling and forgetting
	step        TEXT NOT NULL CHECK (step = 'in_widget' OR step = 'ai_call' OR
	                   step = 'sms_link' OR step = 'email_link'),
	state       TEXT NOT NULL CHECK (state = 'claimed' OR state = 'sent' OR
	                   state = 'unconfirmed' OR state = 'skipped' OR state = 'failed'),
	due_at      INTEGER NOT NULL,             -- when the chain wanted it (before quiet hours)
	claimed_at  INTEGER,
	sent_at     INTEGER,                      -- when the provider accepted it (or the modal was shown)
	channel     TEXT,                         -- widget, twilio, smtp, http
	provider_id TEXT,                         -- the provider's id for it: a call or message sid
	token       TEXT UNIQUE,                  -- SHA-256 of the link's token, hex
	expires_at  INTEGER,                      -- the token's end
	used_at     INTEGER,                      -- the token's one use
	skip_reason TEXT,                         -- no_contact, no_phone, no_email, no_consent_calls, ...
	error       TEXT,                         -- the last failure, without secrets
	tries       INTEGER NOT NULL DEFAULT 0,
	UNIQUE (survey_id, step)
);
-- the throttle: when was this person last sent a survey, by any channel
-- (a send in flight too); and forgetting them
CREATE INDEX survey_attempts_throttle ON survey_attempts (customer_id, state, sent_at, claimed_at);
-- claims left by a crash
CREATE INDEX survey_attempts_claimed ON survey_attempts (claimed_at) WHERE state = 'claimed';
-- esc-stats: the funnel and the response rate by method
CREATE INDEX survey_attempts_report ON survey_attempts (step, state, sent_at, used_at);

-- Answers, one per token: from the widget's modal, the voice agent, the
-- SMS and email links. complete: problem_solved and rating both given.
CREATE TABLE survey_answers (
	id              INTEGER PRIMARY KEY,
	attempt_id      INTEGER NOT NULL UNIQUE REFERENCES survey_attempts (id) ON DELETE CASCADE,
	survey_id       INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
	customer_id     TEXT NOT NULL,
	method          TEXT NOT NULL,            -- the attempt's step
	problem_solved  INTEGER,
	rating          INTEGER CHECK (rating IS NULL OR (rating >= 1 AND rating <= 5)),
	nps             INTEGER CHECK (nps IS NULL OR (nps >= 0 AND nps <= 10)),
	would_recommend INTEGER,
	feedback        TEXT,
	refused         INTEGER NOT NULL DEFAULT 0,   -- "Later" in the widget; declined elsewhere
	complete        INTEGER NOT NULL,
	digest          TEXT NOT NULL,            -- SHA-256 of the answer: the same line fed twice is known
	answered_at     INTEGER NOT NULL,
	logged_at       INTEGER NOT NULL
);
CREATE INDEX survey_answers_survey ON survey_answers (survey_id);
CREATE INDEX survey_answers_customer ON survey_answers (customer_id);

-- Problems people said were not solved, de-duplicated: a new one that is
-- similar enough to an open one counts there (lib/problems.c).
CREATE TABLE problems (
	id               INTEGER PRIMARY KEY,
	description      TEXT NOT NULL,
	hash             TEXT NOT NULL,           -- SHA-256 of the normalised description
	status           TEXT NOT NULL DEFAULT 'unresolved' CHECK (status = 'unresolved' OR
	                        status = 'resolved'),
	first_session_id TEXT,
	last_session_id  TEXT,
	affected_users   INTEGER NOT NULL DEFAULT 1,
	attempts         INTEGER NOT NULL DEFAULT 1,
	resolution       TEXT,                    -- what fixed it, when marked resolved
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	resolved_at      INTEGER
);
CREATE INDEX problems_hash ON problems (hash);
-- esc-stats: the top open problems
CREATE INDEX problems_open ON problems (status, affected_users, attempts);
-- candidates for de-duplication come from full-text search
CREATE VIRTUAL TABLE problems_fts USING fts5(description, content='problems', content_rowid='id');
CREATE TRIGGER problems_fts_insert AFTER INSERT ON problems BEGIN
	INSERT INTO problems_fts (rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER problems_fts_delete AFTER DELETE ON problems BEGIN
	INSERT INTO problems_fts (problems_fts, rowid, description) VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER problems_fts_update AFTER UPDATE OF description ON problems BEGIN
	INSERT INTO problems_fts (problems_fts, rowid, description) VALUES ('delete', old.id, old.description);
	INSERT INTO problems_fts (rowid, description) VALUES (new.id, new.description);
END;

-- Who has each problem: the people to tell when it is resolved.
CREATE TABLE problem_users (
	problem_id  INTEGER NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
	customer_id TEXT NOT NULL,
	session_id  TEXT,                         -- the latest session that hit it
	first_at    INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 1,
	notified_at INTEGER,                      -- listed by --resolve
	PRIMARY KEY (problem_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX problem_users_customer ON problem_users (customer_id);

-- The handover to a human (seed 002): an escalation (001's table, reason
-- ai_failure) with its meeting link, the service hours it met and the
-- agents' notification.
CREATE TABLE handovers (
	id                   INTEGER PRIMARY KEY,
	escalation_id        INTEGER NOT NULL UNIQUE REFERENCES escalations (id) ON DELETE CASCADE,
	survey_id            INTEGER REFERENCES surveys (id) ON DELETE CASCADE,
	problem_id           INTEGER REFERENCES problems (id) ON DELETE SET NULL,
	customer_id          TEXT NOT NULL,
	type                 TEXT NOT NULL CHECK (type = 'ai_failure' OR type = 'time_exceeded' OR
	                            type = 'duplicate_problem' OR type = 'user_request'),
	state                TEXT NOT NULL CHECK (state = 'scheduled' OR state = 'awaiting_agent' OR
	                            state = 'joined' OR state = 'closed'),
	within_service_hours INTEGER NOT NULL CHECK (within_service_hours = 0 OR within_service_hours = 1),
	scheduled_at         INTEGER,             -- the next opening, when it came outside them
	meeting_token        TEXT UNIQUE,         -- SHA-256 of the meeting link's token, hex
	meeting_expires_at   INTEGER,
	meeting_used_at      INTEGER,
	agent                TEXT,                -- who joined
	notify_claimed_at    INTEGER,             -- the agents' webhook, claimed before it is called
	notified_at          INTEGER,
	notify_tries         INTEGER NOT NULL DEFAULT 0,
	notify_error         TEXT,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL
);
-- survey-send --due: handovers waiting for the opening or a notification
CREATE INDEX handovers_due ON handovers (state, scheduled_at) WHERE notified_at IS NULL;
CREATE INDEX handovers_customer ON handovers (customer_id);

-- For people: chains and attempts with readable times.
CREATE VIEW survey_log AS
SELECT s.id, s.session_id, s.customer_id, s.state, s.step, s.method,
       a.step AS attempt_step, a.state AS attempt_state, a.channel, a.skip_reason,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.ended_at, 'unixepoch') AS ended_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.due_at, 'unixepoch') AS due_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.sent_at, 'unixepoch') AS sent_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.used_at, 'unixepoch') AS used_at
FROM surveys s LEFT JOIN survey_attempts a ON a.survey_id = s.id;
