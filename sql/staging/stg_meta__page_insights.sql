-- Staging: Meta page insights, the latest value of each metric breakdown of each source (two
-- pages read as two sources each keep their latest values).
-- `page_fans_gender_age` keys look like `F.25-34`; split into gender and age band.
with source as (
    select * from raw_meta__page_insights
),

latest as (
    select _source, metric, max(end_time) as end_time
    from source
    group by _source, metric
),

renamed as (
    select
        s.metric,
        s.key,
        s.value as fans,
        case
            when s.metric = 'page_fans_gender_age' then
                case split_part(s.key, '.', 1)
                    when 'F' then 'female'
                    when 'M' then 'male'
                    else 'unknown'
                end
        end as gender,
        case when s.metric = 'page_fans_gender_age' then split_part(s.key, '.', 2) end as age_band,
        s.end_time,
        s._source
    from source s
    -- A long CSV export has no end time: its rows are all "latest".
    join latest l
        on s._source = l._source
        and s.metric = l.metric
        and s.end_time is not distinct from l.end_time
)

select * from renamed
