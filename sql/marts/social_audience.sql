-- The audiences you reach, as shares of each trait level, to compare with who the personas are
-- (who you reach versus who buys): the Meta page fans (gender, age band), the LinkedIn page
-- followers (job seniority, company size, industry, country) and the GA4 web audience from GA4
-- report exports (age band, gender, country, device, medium). `dimension` is a column of
-- int_contact_features and `level` one of its values; `source` says whose audience a row is,
-- `measure` what was counted. Where two sources give the same (dimension, level) each keeps its
-- row; rows are ordered by dimension and level with GA4 first, then LinkedIn, then Meta, so a
-- reader keeping one share per (dimension, level) keeps the social one.
with fans as (
    select * from stg_meta__page_insights
    where metric = 'page_fans_gender_age'
),

followers as (
    select * from stg_linkedin__follower_statistics
    where feature is not null
),

-- the GA4 reports: per dimension and GA4 source (property), the table with the latest end date
-- and, in it, the metric that best counts people (active users, then total users, users, new
-- users, sessions, ...); several properties' audiences are summed
ga4_values as (
    select
        feature as dimension,
        feature_level as level,
        metric,
        value,
        end_date,
        _source,
        _source_file,
        table_index,
        case lower(metric)
            when 'active users' then 1
            when 'total users' then 2
            when 'users' then 3
            when 'new users' then 4
            when 'sessions' then 5
            when 'engaged sessions' then 6
            when 'views' then 7
            when 'event count' then 8
        end as metric_rank
    from stg_ga4__report
    where feature is not null and not is_total and value is not null
),

ga4_picked as (
    select
        *,
        dense_rank() over (
            partition by dimension, _source
            order by end_date desc nulls last, metric_rank, _source_file, table_index
        ) as pick
    from ga4_values
    where metric_rank is not null
),

meta_gender as (
    select 'meta' as source, 'gender' as dimension, gender as level, 'page fans' as measure,
        cast(sum(fans) as double) as audience
    from fans group by gender
),

meta_age as (
    select 'meta' as source, 'age_band' as dimension, age_band as level, 'page fans' as measure,
        cast(sum(fans) as double) as audience
    from fans group by age_band
),

linkedin as (
    select 'linkedin' as source, feature as dimension, feature_level as level,
        'followers' as measure, cast(sum(followers) as double) as audience
    from followers group by feature, feature_level
),

ga4 as (
    select 'ga4' as source, dimension, level, min(metric) as measure,
        cast(sum(value) as double) as audience
    from ga4_picked
    where pick = 1
    group by dimension, level
),

unioned as (
    select * from ga4
    union all
    select * from linkedin
    union all
    select * from meta_gender
    union all
    select * from meta_age
),

final as (
    select
        source,
        dimension,
        level,
        measure,
        audience,
        audience / nullif(sum(audience) over (partition by source, dimension), 0) as share
    from unioned
)

select * from final
order by
    dimension,
    level,
    case source when 'ga4' then 1 when 'linkedin' then 2 else 3 end
