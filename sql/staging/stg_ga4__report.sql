-- Staging: GA4 UI report exports (landed long: one row per table row and metric). Trims and
-- types, and names the column of int_contact_features each report dimension describes
-- (`feature`) with its levels spelled as that column spells them (`feature_level`): Age ->
-- age_band, Gender -> gender, Country -> country, Device category -> main_device, Session
-- medium -> top_medium. Dimensions no feature column describes (channel groups, Nth day, ...)
-- keep a null feature. Totals rows stay, flagged. No joins here.
with source as (
    select * from raw_ga4__report
),

renamed as (
    select
        -- report
        report,
        table_index,
        trim(dimension) as dimension,
        trim(level) as level,
        is_total,

        -- measure
        trim(metric) as metric,
        value,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,

        -- lineage
        _source_file, _source_line, _loaded_at, _source
    from source
),

mapped as (
    select
        *,
        case lower(dimension)
            when 'age' then 'age_band'
            when 'gender' then 'gender'
            when 'country' then 'country'
            when 'device category' then 'main_device'
            when 'session medium' then 'top_medium'
            when 'first user medium' then 'top_medium'
        end as feature,
        case
            when level is null or lower(level) in ('(not set)', '(other)', 'unknown', '') then 'unknown'
            when lower(dimension) in ('gender', 'device category', 'session medium', 'first user medium')
                then lower(level)
            else level
        end as feature_level
    from renamed
)

select * from mapped
