-- Staging: Salesforce leads (Data Loader / Bulk API CSV of Lead), one row per lead that is not
-- converted, with the same columns as stg_hubspot__contacts: a lead is a contact of the
-- Salesforce CRM (its persona goes to the Salesforce file). A converted lead (IsConverted true)
-- is left out: the contact it became is the record. The lead's company fields are its own
-- (Industry, NumberOfEmployees); its lifecycle stage is Lead. AnnualRevenue is the company's
-- revenue, not money it spent with us, so crm_revenue is null. Dates and date-times were
-- normalised at landing and ids made 18 characters. No joins here.
with source as (
    select * from raw_salesforce__leads
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
        cast(null as date) as date_of_birth,
        cast(null as varchar) as gender,
        trim("City") as city,
        nullif(trim("Country"), '') as country,

        -- company
        nullif(trim("Industry"), '') as industry,
        cast(nullif(trim("NumberOfEmployees"), '') as double) as employees,

        -- relationship
        cast('Lead' as varchar) as lifecycle_stage,
        cast(null as varchar) as buying_roles,
        cast(null as varchar) as buying_role,
        trim("LeadSource") as original_source,
        cast(null as double) as crm_revenue,
        to_timestamp(trim("CreatedDate")) as created_at,
        to_timestamp(trim("LastActivityDate")) as last_activity_at,

        -- lineage (`_source`: the `[[sources]]` entry the row was read from)
        _source_file, _source_line, _loaded_at, _source
    from source
    where coalesce(lower(trim("IsConverted")), '') not in ('true', '1')
)

select * from renamed
