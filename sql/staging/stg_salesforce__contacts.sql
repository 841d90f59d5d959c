-- Staging: Salesforce contacts (Data Loader / Bulk API CSV, or a report export renamed to API
-- names at landing), one row per CRM record, with the same columns as stg_hubspot__contacts.
-- Dates and date-times were normalised at landing (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS) and ids
-- made 18 characters. Fields a contact record does not have (gender, company size, industry,
-- lifecycle stage, buying role, revenue) are null. No joins here.
with source as (
    select * from raw_salesforce__contacts
),

renamed as (
    select
        -- ids
        trim("Id") as contact_id,
        lower(trim("Email")) as email,
        -- the CRM the id comes from: each contact's persona goes back to its own CRM
        'salesforce' as crm_system,

        -- person
        trim("FirstName") as first_name,
        trim("LastName") as last_name,
        trim("Title") as job_title,
        cast(trim("Birthdate") as date) as date_of_birth,
        cast(null as varchar) as gender,
        trim("MailingCity") as city,
        trim("MailingCountry") as country,

        -- company
        cast(null as varchar) as industry,
        cast(null as double) as employees,

        -- relationship
        cast(null as varchar) as lifecycle_stage,
        cast(null as varchar) as buying_roles,
        cast(null as varchar) as buying_role,
        trim("LeadSource") as original_source,
        cast(null as double) as crm_revenue,
        to_timestamp(trim("CreatedDate")) as created_at,
        to_timestamp(trim("LastActivityDate")) as last_activity_at,

        -- lineage (`_source`: the `[[sources]]` entry the row was read from)
        _source_file, _source_line, _loaded_at, _source
    from source
)

select * from renamed
