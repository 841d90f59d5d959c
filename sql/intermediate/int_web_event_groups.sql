-- Logged-in GA4 events (user_id = CRM Record ID), counted once per contact, content section,
-- content group, traffic medium and device. `int_web_activity` derives every per-contact
-- measure but the sessions (`int_web_sessions`) from these counts, so the events (and the URL
-- parsing of `stg_ga4__events`) are scanned once here, not once per measure (and once more,
-- without the URL parsing, for the sessions).
-- The content group template variable gives the page's content group: the first of the pipeline's
-- `[[web.content_groups]]` whose patterns match `page_path` (`other` when none does), or, with
-- none declared, the page's first path segment.
with events as (
    select
        *,
        {{ content_group }} as content_group
    from stg_ga4__events
    where contact_id is not null
)

select
    contact_id,
    content_section,
    content_group,
    traffic_medium,
    device_category,
    count(*) as events,
    sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
    sum(purchase_revenue) as revenue,
    max(event_at) as last_event_at
from events
group by contact_id, content_section, content_group, traffic_medium, device_category
