-- Staging: GA4 events, flattened at landing. Adds the content section (first path segment of
-- the page URL), the page path and the event time. Anonymous events (no user_id) stay here; they cannot be
-- tied to a contact. Several GA4 sources (properties) are unioned in the raw table; `_source`
-- names the one each event was read from.
with source as (
    select * from raw_ga4__events
),

renamed as (
    select
        -- ids
        nullif(trim(user_id), '') as contact_id,
        user_pseudo_id,
        ga_session_id,

        -- event
        event_name,
        to_timestamp_micros(event_timestamp) as event_at,
        lower(split_part(split_part(
            regexp_replace(page_location, '^https?://[^/]+/?', ''), '?', 1), '/', 1)) as content_section,
        -- the page path without host, query or fragment, in lower case (content groups match it)
        '/' || ltrim(lower(split_part(split_part(
            regexp_replace(page_location, '^https?://[^/]+', ''), '?', 1), '#', 1)), '/') as page_path,
        engagement_time_msec,

        -- context
        lower(device_category) as device_category,
        lower(traffic_medium) as traffic_medium,
        lower(traffic_source) as traffic_source,
        purchase_revenue,

        -- lineage
        _source
    from source
)

select * from renamed
