-- 010-severity-given.sql — schema version 10: the severity a case was
-- given, apart from the one its touches raised it to.
--
-- esc-log raises a case with many touches to a senior's severity. Kept as
-- one column, a raise on the way up stayed when a message logged late
-- moved the case's window and its touches fell back, so the severity and
-- the due times of a case depended on the order its lines were logged
-- in. severity_given is the most severe its messages gave, or what a
-- status event set last; severity is that, raised while the touches are
-- many. A store written before has only the one: both start the same.
ALTER TABLE escalations ADD COLUMN severity_given TEXT;
UPDATE escalations SET severity_given = severity;
