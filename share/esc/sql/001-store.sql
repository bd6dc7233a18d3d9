-- 001-store.sql — the esc store, schema version 1.
--
-- esc-log and esc-stats apply the files in this directory in order, each in
-- one transaction, and record the number in PRAGMA user_version. A file
-- that is already applied is never run again; a store whose version is
-- higher than the newest file here was made by a newer esc and is refused.
--
-- The CHECKs spell out each value with OR: an IN list there would build a
-- temporary index for every row written.
--
-- Times are INTEGER seconds since 1970-01-01 UTC, so ranges and buckets are
-- plain comparisons; the views at the end show them as RFC 3339 text for
-- anyone reading the file with the sqlite3 shell.

-- Every scored question, escalated or not: the denominator of the
-- escalation rate, and the sentiment history of each conversation.
CREATE TABLE questions (
	id              INTEGER PRIMARY KEY,
	message_id      TEXT NOT NULL UNIQUE,   -- the chat message id (natural key)
	conversation_id TEXT,
	user_id         TEXT,
	created_at      INTEGER NOT NULL,       -- the message's time
	route           TEXT NOT NULL CHECK (route = 'paid' OR route = 'human' OR route = 'none'),
	sentiment       REAL,                   -- VADER compound
	tier            TEXT,
	context_type    TEXT,
	logged_at       INTEGER NOT NULL
);

-- Every escalation: seed 000's escalation log (paid offers) and seed 001's
-- customer-success case (human route) in one table.
CREATE TABLE escalations (
	id                 INTEGER PRIMARY KEY,
	question_id        INTEGER NOT NULL UNIQUE REFERENCES questions (id) ON DELETE CASCADE,
	message_id         TEXT NOT NULL,       -- unique through question_id
	conversation_id    TEXT,
	user_id            TEXT,
	question           TEXT,                -- the customer's words
	route              TEXT NOT NULL CHECK (route = 'paid' OR route = 'human'),
	offer              TEXT,                -- mentorship, course, tutorial, masterclass
	reason             TEXT NOT NULL,       -- the first reason: personalized_help, strategic, cancel, ...
	reasons            TEXT NOT NULL,       -- all reasons, a JSON array
	alerts             TEXT NOT NULL,       -- JSON array
	context_type       TEXT,
	tier               TEXT,
	score_personal     INTEGER NOT NULL DEFAULT 0,
	score_strategic    INTEGER NOT NULL DEFAULT 0,
	score_advanced     INTEGER NOT NULL DEFAULT 0,
	sentiment          REAL,
	template           TEXT,                -- the template used for the offer text
	offer_text         TEXT,
	severity           TEXT NOT NULL CHECK (severity = 'low' OR severity = 'medium' OR
	                          severity = 'high' OR severity = 'critical'),
	status             TEXT NOT NULL DEFAULT 'open'
	                   CHECK (status = 'open' OR status = 'assigned' OR status = 'in_progress' OR
	                          status = 'waiting' OR status = 'resolved' OR status = 'closed'),
	agent              TEXT,
	playbook           TEXT,
	value_at_risk      REAL,
	touches            INTEGER,
	conversion_tracked INTEGER NOT NULL DEFAULT 0,
	converted          INTEGER NOT NULL DEFAULT 0,
	converted_at       INTEGER,
	conversion_value   REAL,
	created_at         INTEGER NOT NULL,
	first_response_at  INTEGER,
	resolved_at        INTEGER,
	outcome            TEXT,                -- saved, lost, ... as the resolution says
	first_response_due INTEGER,             -- SLA due times, kept up to date by esc-log
	resolution_due     INTEGER,
	updated_at         INTEGER NOT NULL
);

-- The timeline: every event esc-log accepted. escalation_id is NULL only
-- for a conversion that matched no escalation (kept, reported unattributed).
CREATE TABLE events (
	id            INTEGER PRIMARY KEY,
	event_id      TEXT NOT NULL UNIQUE,     -- the event's own id (natural key)
	escalation_id INTEGER REFERENCES escalations (id) ON DELETE CASCADE,
	type          TEXT NOT NULL CHECK (type = 'conversion' OR type = 'resolution' OR
	              type = 'assignment' OR type = 'first_response' OR type = 'note' OR type = 'status'),
	at            INTEGER NOT NULL,
	user_id       TEXT,
	agent         TEXT,
	offer         TEXT,
	status        TEXT,
	severity      TEXT,
	outcome       TEXT,
	value         REAL,
	note          TEXT,
	body          TEXT NOT NULL,            -- the event line as it came (JSON)
	logged_at     INTEGER NOT NULL
);
CREATE INDEX events_escalation ON events (escalation_id, at);
CREATE INDEX events_unattributed ON events (user_id, at) WHERE escalation_id IS NULL;

-- Alerts esc-stats --alerts has already printed: each fires once.
CREATE TABLE alerts_sent (
	kind    TEXT NOT NULL,
	subject TEXT NOT NULL,                  -- what it is about: an escalation or a conversation
	at      INTEGER NOT NULL,
	PRIMARY KEY (kind, subject)
) WITHOUT ROWID;

-- Lookups esc-log makes for every line.
CREATE INDEX escalations_user ON escalations (user_id, route, created_at);
CREATE INDEX questions_conversation ON questions (conversation_id, created_at);

-- Reports (esc-stats): covering indexes, so each section reads an index
-- instead of the table.
CREATE INDEX questions_time ON questions (created_at, route);
CREATE INDEX escalations_time ON escalations (created_at);
-- totals, per window or per bucket: a range of created_at, counted
CREATE INDEX escalations_totals ON escalations (created_at, route, converted, conversion_value);
-- by offer, reason, tier, template and severity: every combination of the
-- five counted in one GROUP BY that streams this index in its order
CREATE INDEX escalations_cube ON escalations (offer, reason, tier, template, severity,
	created_at, converted, conversion_value);
-- times to conversion: only the converted few
CREATE INDEX escalations_converted ON escalations (created_at, converted_at, offer, reason,
	tier, template, severity) WHERE converted;
-- SLA met, breached and at risk per severity
CREATE INDEX escalations_sla ON escalations (severity, created_at, status, first_response_at,
	first_response_due, resolved_at, resolution_due, updated_at);
-- the leaderboard, and each agent's streak read backwards from the latest
CREATE INDEX escalations_agent ON escalations (agent, resolved_at, created_at, resolution_due,
	outcome, playbook, alerts) WHERE resolved_at IS NOT NULL;
-- esc-stats --alerts, every minute: the open escalations only
CREATE INDEX escalations_open ON escalations (id)
	WHERE status <> 'resolved' AND status <> 'closed';

-- For people: the same tables with readable times.
CREATE VIEW escalation_log AS
SELECT id, message_id, user_id, question, route, offer, reason, context_type, tier,
       score_personal, score_strategic, score_advanced, template, severity, status,
       agent, playbook, value_at_risk, conversion_tracked, converted,
       strftime('%Y-%m-%dT%H:%M:%SZ', converted_at, 'unixepoch') AS converted_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') AS created_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', first_response_due, 'unixepoch') AS first_response_due,
       strftime('%Y-%m-%dT%H:%M:%SZ', resolution_due, 'unixepoch') AS resolution_due,
       strftime('%Y-%m-%dT%H:%M:%SZ', first_response_at, 'unixepoch') AS first_response_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', resolved_at, 'unixepoch') AS resolved_at
FROM escalations;
