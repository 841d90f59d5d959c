-- Web behaviour per contact, from the event counts of `int_web_event_groups` and the sessions
-- of `int_web_sessions`.
-- The content group shares template variable gives every content group (`[web]` in the pipeline config) its
-- share of the contact's events, `share_<group>`: the interests personas are told apart by.
-- Devices and traffic mediums each get the share of every value, not only the most frequent one.
-- Distinct counts are two-level aggregations (group by contact and value, then count): a
-- `count(distinct ...)` per contact keeps a hash set per contact, which does not scale to
-- millions of contacts.
with groups as (
    select * from int_web_event_groups
),

per_contact as (
    select
        contact_id,
        sum(events) as events,
        sum(page_views) as page_views,
        {{ content_group_shares }}
        sum(case when device_category in ('mobile', 'tablet') then events else 0 end) * 1.0 / sum(events) as share_mobile,
        sum(case when device_category = 'desktop' then events else 0 end) * 1.0 / sum(events) as share_desktop,
        -- every traffic medium GA4 sets by default, so no channel is reduced to the top one
        sum(case when traffic_medium = 'organic' then events else 0 end) * 1.0 / sum(events) as share_medium_organic,
        sum(case when traffic_medium in ('cpc', 'ppc', 'paid', 'paidsearch') then events else 0 end) * 1.0 / sum(events) as share_medium_cpc,
        sum(case when traffic_medium = 'referral' then events else 0 end) * 1.0 / sum(events) as share_medium_referral,
        sum(case when traffic_medium = 'email' then events else 0 end) * 1.0 / sum(events) as share_medium_email,
        sum(case when traffic_medium in ('social', 'paid_social', 'paidsocial', 'social-network') then events else 0 end) * 1.0 / sum(events) as share_medium_social,
        sum(case when traffic_medium is null or traffic_medium in ('(none)', '(not set)', 'none', '') then events else 0 end) * 1.0 / sum(events) as share_medium_none,
        sum(revenue) as web_revenue,
        cast(max(last_event_at) as timestamp) as last_event_at
    from groups
    group by contact_id
),

sessions as (
    select * from int_web_sessions
),

section_counts as (
    select contact_id, content_section, sum(events) as n
    from groups
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
        row_number() over (partition by contact_id order by sum(events) desc, traffic_medium) as rn
    from groups where traffic_medium is not null
    group by contact_id, traffic_medium
),

devices as (
    select contact_id, device_category as main_device,
        row_number() over (partition by contact_id order by sum(events) desc, device_category) as rn
    from groups where device_category is not null
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
