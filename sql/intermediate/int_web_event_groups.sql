-- Logged-in GA4 events (user_id = CRM Record ID), counted once per contact, session, content
-- section, traffic medium and device. `int_web_activity` derives every per-contact measure from
-- these counts, so the events (and the URL parsing of `stg_ga4__events`) are scanned once, not
-- once per measure.
select
    contact_id,
    ga_session_id,
    content_section,
    traffic_medium,
    device_category,
    count(*) as events,
    sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
    sum(purchase_revenue) as revenue,
    max(event_at) as last_event_at
from stg_ga4__events
where contact_id is not null
group by contact_id, ga_session_id, content_section, traffic_medium, device_category
