-- Staging: HubSpot contacts export, one row per CRM record.
-- Rename to snake_case, trim, type; emails lower-cased for matching. No joins here.
with source as (
    select * from raw_hubspot__contacts
),

renamed as (
    select
        -- ids
        trim("Record ID") as contact_id,
        lower(trim("Email")) as email,
        -- the CRM the id comes from: each contact's persona goes back to its own CRM
        'hubspot' as crm_system,

        -- person
        trim("First Name") as first_name,
        trim("Last Name") as last_name,
        trim("Job Title") as job_title,
        cast(trim("Date of birth") as date) as date_of_birth,
        lower(trim("Gender")) as gender,
        trim("City") as city,
        trim("Country/Region") as country,

        -- company
        trim("Industry") as industry,
        case
            when trim("Number of Employees") like '%+'
                then cast(rtrim(trim("Number of Employees"), '+') as double)
            when strpos(trim("Number of Employees"), '-') > 0
                then (cast(split_part(trim("Number of Employees"), '-', 1) as double)
                    + cast(split_part(trim("Number of Employees"), '-', 2) as double)) / 2
            else cast(replace(trim("Number of Employees"), ',', '') as double)
        end as employees,

        -- relationship
        trim("Lifecycle Stage") as lifecycle_stage,
        trim("Buying Role") as buying_roles,
        trim(split_part(trim("Buying Role"), ';', 1)) as buying_role,
        trim("Original Source") as original_source,
        cast(trim("Total Revenue") as double) as crm_revenue,
        to_timestamp(trim("Create Date") || ':00') as created_at,
        to_timestamp(trim("Last Activity Date") || ':00') as last_activity_at,

        -- lineage (`_source`: the `[[sources]]` entry the row was read from)
        _source_file, _source_line, _loaded_at, _source
    from source
)

select * from renamed
