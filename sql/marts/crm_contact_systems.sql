-- The CRM each contact id comes from (`hubspot`, `salesforce`, `csv`), one row per contact of
-- int_crm_contacts (after the merge, the id and CRM of the record that won): the CRM files and
-- the push send each contact's persona only to its own CRM.
select contact_id, crm_system from int_crm_contacts
