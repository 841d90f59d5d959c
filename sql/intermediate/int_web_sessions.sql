-- Sessions per logged-in contact: the distinct GA4 sessions of each contact, a session being
-- its source's `ga_session_id` (two GA4 properties may number sessions alike). Counted apart
-- from `int_web_event_groups`, whose rows then need no session: grouped by session as well,
-- they were several times as many (a contact's sessions times its sections), and held in
-- memory twice while being aggregated.
with sessions as (
    select contact_id, _source, ga_session_id
    from stg_ga4__events
    where contact_id is not null and ga_session_id is not null
    group by contact_id, _source, ga_session_id
)

select contact_id, count(*) as sessions
from sessions
group by contact_id
