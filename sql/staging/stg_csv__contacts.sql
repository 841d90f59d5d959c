-- Staging: a CRM contacts CSV read through its column mapping (columns already named by contact
-- field at landing; dates and date-times normalised to YYYY-MM-DD and YYYY-MM-DD HH:MM:SS), one
-- row per CRM record, with the same columns as stg_hubspot__contacts. Fields the mapping leaves
-- out are null. No joins here.
with source as (
    select * from raw_csv__contacts
),

renamed as (
    select
        -- ids
        trim(contact_id) as contact_id,
        lower(trim(email)) as email,
        -- the CRM the id comes from: each contact's persona goes back to its own CRM
        'csv' as crm_system,

        -- person
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(job_title) as job_title,
        cast(trim(date_of_birth) as date) as date_of_birth,
        lower(trim(gender)) as gender,
        trim(city) as city,
        trim(country) as country,

        -- company
        trim(industry) as industry,
        case
            when trim(employees) like '%+'
                then cast(rtrim(trim(employees), '+') as double)
            when strpos(trim(employees), '-') > 0
                then (cast(split_part(trim(employees), '-', 1) as double)
                    + cast(split_part(trim(employees), '-', 2) as double)) / 2
            else cast(replace(trim(employees), ',', '') as double)
        end as employees,

        -- relationship
        trim(lifecycle_stage) as lifecycle_stage,
        trim(buying_role) as buying_roles,
        trim(split_part(trim(buying_role), ';', 1)) as buying_role,
        trim(original_source) as original_source,
        cast(trim(revenue) as double) as crm_revenue,
        to_timestamp(trim(created_at)) as created_at,
        to_timestamp(trim(last_activity_at)) as last_activity_at,

        -- lineage (`_source`: the `[[sources]]` entry the row was read from)
        _source_file, _source_line, _loaded_at, _source
    from source
)

select * from renamed
