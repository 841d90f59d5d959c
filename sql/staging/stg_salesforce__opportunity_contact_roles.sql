-- Staging: Salesforce opportunity contact roles (Data Loader / Bulk API CSV of
-- OpportunityContactRole), one row per role of a contact on an opportunity. Ids were made 18
-- characters at landing, so ContactId matches the contact's Id whichever export wrote it.
-- IsPrimary is true or false (1 or 0 also read); anything else is null. No joins here.
with source as (
    select * from raw_salesforce__opportunity_contact_roles
),

renamed as (
    select
        -- ids
        trim("Id") as opportunity_contact_role_id,
        trim("OpportunityId") as opportunity_id,
        trim("ContactId") as contact_id,

        -- relationship
        nullif(trim("Role"), '') as role,
        case
            when lower(trim("IsPrimary")) in ('true', '1') then true
            when lower(trim("IsPrimary")) in ('false', '0') then false
        end as is_primary,

        -- lineage
        _source_file, _source_line, _loaded_at
    from source
)

select * from renamed
