-- 004-contact-fields.sql — schema version 4: the time of the newest line
-- that set a contact's fields.
--
-- crm-track merges contact lines into the store. Fed an export again, or
-- two exports out of order, the fields must end as the newest line left
-- them: a line older than fields_at changes no field (its consent is still
-- kept as history, by consent_changes). NULL: not known yet (a contact
-- kept before this version), so the next line applies whatever its time.
ALTER TABLE contacts ADD COLUMN fields_at INTEGER;
