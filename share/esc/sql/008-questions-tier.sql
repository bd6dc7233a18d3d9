-- 008-questions-tier.sql — schema version 8: the questions of each tier,
-- counted from an index.
--
-- esc-stats' by_tier gives each tier's escalation rate (seed 000:
-- "escalation rate by tier"), which needs the questions scored per tier.
-- Grouped from the table, a store of a million escalations (some seven
-- million questions) took ten seconds; this index is read in its order,
-- counted per tier and route, and holds all the query reads.
CREATE INDEX questions_tier ON questions (tier, route, created_at);
