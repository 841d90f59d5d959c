-- Staging: LinkedIn company page followers by facet (landed long: one row per organization,
-- facet and value; the URN already labelled at landing). Names the column of
-- int_contact_features each facet describes (`feature`) with its levels spelled as that column
-- spells them (`feature_level`): seniority -> job_seniority (the title rules of
-- int_contact_features: CXO, owners and partners are executives, VPs directors, senior staff
-- individual contributors, entry, training and unpaid entry level), staff count range ->
-- company_size (banded at landing), industry -> industry, country -> country. Functions and
-- other facets keep a null feature. No joins here.
with source as (
    select * from raw_linkedin__follower_statistics
),

renamed as (
    select
        -- ids
        organization,
        facet,
        urn,
        label,

        -- followers
        organic_followers,
        paid_followers,
        organic_followers + paid_followers as followers,

        -- lineage
        _source_file, _source_line, _loaded_at
    from source
),

mapped as (
    select
        *,
        case facet
            when 'seniority' then 'job_seniority'
            when 'staff_count_range' then 'company_size'
            when 'industry' then 'industry'
            when 'geo_country' then 'country'
        end as feature,
        case
            when label like 'urn:li:%' then 'unknown'
            when facet = 'seniority' then
                case label
                    when 'CXO' then 'executive'
                    when 'Owner' then 'executive'
                    when 'Partner' then 'executive'
                    when 'VP' then 'director'
                    when 'Director' then 'director'
                    when 'Manager' then 'manager'
                    when 'Senior' then 'individual_contributor'
                    when 'Entry' then 'entry'
                    when 'Training' then 'entry'
                    when 'Unpaid' then 'entry'
                    else 'unknown'
                end
            else label
        end as feature_level
    from renamed
)

select * from mapped
