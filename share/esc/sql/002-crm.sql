-- 002-crm.sql — the customer side of the store, schema version 2:
-- contacts and their consent (crm-track), the customer journey
-- (crm-track), upsell recommendations (upsell-gen, stamped by crm-track),
-- usage-alert opportunities (upsell-gen) and the record of people forgotten.
--
-- A person is known everywhere by one id: customer_id here, user_id in
-- questions and escalations. crm-track --forget erases every row below
-- (and in 001's tables) that holds it; see lib/forget.c for the list.
--
-- Times are INTEGER seconds since 1970-01-01 UTC, as in 001.

-- People: seed 002's end-user fields. Validated by crm-track (phone in
-- E.164, email with one @ and a dot after it) before they get here.
CREATE TABLE contacts (
	id             INTEGER PRIMARY KEY,
	customer_id    TEXT NOT NULL UNIQUE,   -- the person's id in every esc record
	external_id    TEXT,                   -- the id in the tenant's own CRM
	name           TEXT,
	email          TEXT,
	phone          TEXT,                   -- E.164: +15555551234
	timezone       TEXT,                   -- an IANA zone: America/New_York
	consent_sms    INTEGER NOT NULL DEFAULT 0 CHECK (consent_sms = 0 OR consent_sms = 1),
	consent_email  INTEGER NOT NULL DEFAULT 0 CHECK (consent_email = 0 OR consent_email = 1),
	consent_calls  INTEGER NOT NULL DEFAULT 0 CHECK (consent_calls = 0 OR consent_calls = 1),
	consented_at   INTEGER,                -- the latest consent given or withdrawn
	blocked        INTEGER NOT NULL DEFAULT 0 CHECK (blocked = 0 OR blocked = 1),
	blocked_reason TEXT,
	blocked_at     INTEGER,
	source         TEXT,                   -- widget, landing_demo, import, ...
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
-- --forget finds a person by email whatever its case
CREATE INDEX contacts_email ON contacts (email COLLATE NOCASE) WHERE email IS NOT NULL;
CREATE INDEX contacts_phone ON contacts (phone) WHERE phone IS NOT NULL;
CREATE INDEX contacts_external ON contacts (external_id) WHERE external_id IS NOT NULL;
-- the retention rule: contacts who consented to nothing, by age
CREATE INDEX contacts_unconsented ON contacts (updated_at)
	WHERE consent_sms = 0 AND consent_email = 0 AND consent_calls = 0;

-- Every consent change, with the time the person gave or withdrew it.
CREATE TABLE consent_changes (
	id          INTEGER PRIMARY KEY,
	contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
	channel     TEXT NOT NULL CHECK (channel = 'sms' OR channel = 'email' OR channel = 'calls'),
	granted     INTEGER NOT NULL CHECK (granted = 0 OR granted = 1),
	at          INTEGER NOT NULL,
	event_id    TEXT,                      -- the line that carried it, when it had an id
	logged_at   INTEGER NOT NULL
);
-- a change is its contact, channel, time and value: a file fed twice
-- records each once
CREATE UNIQUE INDEX consent_changes_contact ON consent_changes (contact_id, at, channel, granted);

-- Upsell recommendations (seed 003): one per completed session and type.
CREATE TABLE recommendations (
	id            INTEGER PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	session_id    TEXT NOT NULL,
	type          TEXT NOT NULL,            -- diagnostic_package, follow_up, video_upgrade (share/upsell)
	title         TEXT NOT NULL,
	description   TEXT,
	price_cents   INTEGER,
	currency      TEXT,
	plan          TEXT,                     -- the session's plan tier, which set the price
	session_type  TEXT,                     -- chat, video, ...
	created_at    INTEGER NOT NULL,         -- the session's completion time
	shown_at      INTEGER,
	clicked_at    INTEGER,
	dismissed_at  INTEGER,
	purchased_at  INTEGER,
	revenue_cents INTEGER,                  -- what the purchase brought in
	metadata      TEXT,                     -- JSON object
	UNIQUE (session_id, type)
);
CREATE INDEX recommendations_customer ON recommendations (customer_id, created_at);
-- esc-stats: CTR and purchase rate by type, in a time range
CREATE INDEX recommendations_report ON recommendations (created_at, type, shown_at, clicked_at,
	purchased_at, dismissed_at, revenue_cents);
-- esc-stats: the funnel's purchases, in a time range
CREATE INDEX recommendations_purchased ON recommendations (purchased_at, customer_id)
	WHERE purchased_at IS NOT NULL;

-- The customer journey (seed 003): every event crm-track accepted.
CREATE TABLE interactions (
	id                INTEGER PRIMARY KEY,
	event_id          TEXT NOT NULL UNIQUE,  -- the event's own id (natural key)
	customer_id       TEXT NOT NULL,
	type              TEXT NOT NULL CHECK (type = 'intake_submitted' OR
	                  type = 'session_started' OR type = 'session_completed' OR
	                  type = 'summary_viewed' OR type = 'upsell_shown' OR
	                  type = 'upsell_clicked' OR type = 'upsell_dismissed' OR
	                  type = 'checkout_started' OR type = 'checkout_completed' OR
	                  type = 'waiver_accepted'),
	session_id        TEXT,
	recommendation_id INTEGER REFERENCES recommendations (id) ON DELETE SET NULL,
	amount_cents      INTEGER,               -- checkout amounts
	at                INTEGER NOT NULL,
	metadata          TEXT,                  -- JSON object, as it came
	logged_at         INTEGER NOT NULL
);
CREATE INDEX interactions_customer ON interactions (customer_id, at);
CREATE INDEX interactions_session ON interactions (session_id, type, at) WHERE session_id IS NOT NULL;
-- the funnel: a time range, counted by type and person
CREATE INDEX interactions_funnel ON interactions (at, type, customer_id, session_id, amount_cents);

-- Usage-alert opportunities (seed 004): drafted -> sent -> waiting ->
-- meeting or closed. One per alert.
CREATE TABLE opportunities (
	id              INTEGER PRIMARY KEY,
	alert_id        TEXT NOT NULL UNIQUE,   -- the usage alert's id (natural key)
	account_id      TEXT NOT NULL,
	customer_id     TEXT,                   -- the person written to, when known
	metric          TEXT NOT NULL,
	value           REAL NOT NULL,
	threshold       REAL NOT NULL,
	severity        TEXT NOT NULL CHECK (severity = 'low' OR severity = 'medium' OR
	                       severity = 'high' OR severity = 'critical'),
	automation      TEXT NOT NULL CHECK (automation = 'full' OR automation = 'hybrid' OR
	                       automation = 'human'),
	state           TEXT NOT NULL DEFAULT 'drafted' CHECK (state = 'drafted' OR state = 'sent' OR
	                       state = 'waiting' OR state = 'meeting' OR state = 'closed'),
	current_plan    TEXT,
	plan            TEXT NOT NULL,          -- the recommended plan
	estimated_value REAL,
	plan_json       TEXT NOT NULL,          -- plan, value, justification, features, roi, risk
	plan_source     TEXT NOT NULL CHECK (plan_source = 'rules' OR plan_source = 'ai'),
	plan_note       TEXT,                   -- why the model's plan was not used
	contact_email   TEXT,
	contact_name    TEXT,
	email_subject   TEXT,
	email_body      TEXT,
	slack_posted_at INTEGER,
	approved_at     INTEGER,
	approved_by     TEXT,
	send_wanted     INTEGER NOT NULL DEFAULT 0 CHECK (send_wanted = 0 OR send_wanted = 1),
	                                        -- upsell-gen is to send it: full automation, or approved
	send_claimed_at INTEGER,                -- a send in flight, committed before the mail server is
	                                        -- called; left set by a crash: reported, never retried
	send_kind       TEXT CHECK (send_kind IS NULL OR send_kind = 'first' OR send_kind = 'follow_up'),
	sent_at         INTEGER,
	follow_ups      INTEGER NOT NULL DEFAULT 0,  -- follow-ups sent (or reminded, for human)
	reply_due       INTEGER,                -- sent_at + the reply timeout
	reply           TEXT,                   -- yes, no, maybe
	replied_at      INTEGER,
	meeting_token   TEXT,                   -- SHA-256 of the meeting link's token, hex
	meeting_used_at INTEGER,
	closed_reason   TEXT,                   -- declined, no_reply, won, lost, ...
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX opportunities_account ON opportunities (account_id, created_at);
CREATE INDEX opportunities_customer ON opportunities (customer_id) WHERE customer_id IS NOT NULL;
-- upsell-gen --due, every minute: what waits on a clock
CREATE INDEX opportunities_due ON opportunities (state, reply_due);
CREATE INDEX opportunities_claimed ON opportunities (send_claimed_at) WHERE send_claimed_at IS NOT NULL;
-- a meeting link's token is looked up by its hash
CREATE UNIQUE INDEX opportunities_meeting ON opportunities (meeting_token) WHERE meeting_token IS NOT NULL;
CREATE INDEX opportunities_report ON opportunities (created_at, state, automation, estimated_value);

-- An opportunity's timeline: approvals, sends, replies, timeouts, meetings.
CREATE TABLE opportunity_events (
	id             INTEGER PRIMARY KEY,
	event_id       TEXT NOT NULL UNIQUE,    -- the event's id, or one upsell-gen made
	opportunity_id INTEGER NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
	type           TEXT NOT NULL,           -- drafted, slack, slack_failed, approval, sent, send_failed,
	                                        -- follow_up, reminder, reply, meeting_join, release, closed
	at             INTEGER NOT NULL,
	detail         TEXT,                    -- JSON object
	logged_at      INTEGER NOT NULL
);
CREATE INDEX opportunity_events_opportunity ON opportunity_events (opportunity_id, at);

-- That a person was forgotten, and how much: no id, no personal data.
CREATE TABLE forgotten (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	reason  TEXT NOT NULL CHECK (reason = 'request' OR reason = 'retention'),
	rows    INTEGER NOT NULL,               -- rows erased or cleared, all tables
	detail  TEXT NOT NULL                   -- JSON: rows per table
);

-- Unconverted escalations' users, for forgetting: escalations_user covers
-- escalations; questions need their own.
CREATE INDEX questions_user ON questions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX events_user ON events (user_id) WHERE user_id IS NOT NULL;
