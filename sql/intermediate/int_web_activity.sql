-- Web behaviour per contact, from logged-in GA4 events (user_id = CRM Record ID).
-- Content sections are grouped into the interests personas are told apart by.
-- Distinct counts are two-level aggregations (group by contact and value, then count): a
-- `count(distinct ...)` per contact keeps a hash set per contact, which does not scale to
-- millions of contacts.
with events as (
    select * from stg_ga4__events
    where contact_id is not null
),

per_contact as (
    select
        contact_id,
        count(*) as events,
        sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
        avg(case when content_section in ('docs', 'api', 'changelog') then 1.0 else 0.0 end) as share_docs,
        avg(case when content_section in ('pricing', 'case-studies', 'security', 'product') then 1.0 else 0.0 end) as share_pricing,
        avg(case when content_section in ('discounts', 'templates') then 1.0 else 0.0 end) as share_discounts,
        avg(case when content_section = 'blog' then 1.0 else 0.0 end) as share_blog,
        avg(case when device_category in ('mobile', 'tablet') then 1.0 else 0.0 end) as share_mobile,
        sum(purchase_revenue) as web_revenue,
        cast(max(event_at) as timestamp) as last_event_at
    from events
    group by contact_id
),

sessions as (
    select contact_id, count(*) as sessions
    from (
        select contact_id, ga_session_id
        from events
        where ga_session_id is not null
        group by contact_id, ga_session_id
    )
    group by contact_id
),

section_counts as (
    select contact_id, content_section, count(*) as n
    from events
    where content_section is not null and content_section <> ''
    group by contact_id, content_section
),

-- the most frequent value of a dimension per contact (ties: alphabetical)
sections as (
    select
        contact_id,
        count(*) over (partition by contact_id) as sections_visited,
        content_section as top_section,
        row_number() over (partition by contact_id order by n desc, content_section) as rn
    from section_counts
),

mediums as (
    select contact_id, traffic_medium as top_medium,
        row_number() over (partition by contact_id order by count(*) desc, traffic_medium) as rn
    from events where traffic_medium is not null
    group by contact_id, traffic_medium
),

devices as (
    select contact_id, device_category as main_device,
        row_number() over (partition by contact_id order by count(*) desc, device_category) as rn
    from events where device_category is not null
    group by contact_id, device_category
),

final as (
    select
        p.*,
        coalesce(x.sessions, 0) as sessions,
        coalesce(s.sections_visited, 0) as sections_visited,
        s.top_section,
        m.top_medium,
        d.main_device
    from per_contact p
    left join sessions x on x.contact_id = p.contact_id
    left join sections s on s.contact_id = p.contact_id and s.rn = 1
    left join mediums m on m.contact_id = p.contact_id and m.rn = 1
    left join devices d on d.contact_id = p.contact_id and d.rn = 1
)

select * from final
