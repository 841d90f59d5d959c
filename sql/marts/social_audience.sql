-- The social audience (Meta page fans) as shares by gender and by age band, to compare with
-- who the personas are: who you reach versus who buys.
with fans as (
    select * from stg_meta__page_insights
    where metric = 'page_fans_gender_age'
),

by_gender as (
    select 'gender' as dimension, gender as level, sum(fans) as fans
    from fans group by gender
),

by_age as (
    select 'age_band' as dimension, age_band as level, sum(fans) as fans
    from fans group by age_band
),

unioned as (
    select * from by_gender
    union all
    select * from by_age
),

final as (
    select
        dimension,
        level,
        fans,
        cast(fans as double) / sum(fans) over (partition by dimension) as share
    from unioned
)

select * from final
