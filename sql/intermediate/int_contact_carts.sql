-- Cart and checkout abandonment per contact, from the GA4 e-commerce events of logged-in
-- visitors (user_id = the CRM contact id; anonymous events cannot be tied to a contact).
-- A cart is a session's first `add_to_cart`, a checkout its first `begin_checkout` (events
-- without a session id are each their own). It is abandoned when the contact has no GA4
-- `purchase` from its time to 7 days later (the abandonment window, a constant here: change the
-- two `interval '7 days'` below together), and the window has closed by the run date: a cart
-- younger than 7 days is still open, not abandoned. An order in a shop export does not close a
-- cart; only the GA4 purchase event does.
-- - carts / checkouts: how many the contact started;
-- - abandoned_carts / abandoned_checkouts: how many of them were abandoned;
-- - cart_abandoned / checkout_abandoned: whether any was.
with events as (
    select * from stg_ga4__events
),

starts as (
    select
        contact_id,
        event_name,
        _source,
        coalesce(cast(ga_session_id as varchar), cast(event_at as varchar)) as session_key,
        min(event_at) as started_at
    from events
    where contact_id is not null and event_name in ('add_to_cart', 'begin_checkout')
    group by contact_id, event_name, _source, coalesce(cast(ga_session_id as varchar), cast(event_at as varchar))
),

purchases as (
    select contact_id, event_at as purchased_at
    from events
    where contact_id is not null and event_name = 'purchase'
),

closed as (
    select
        s.contact_id,
        s.event_name,
        s._source,
        s.session_key,
        s.started_at,
        count(p.purchased_at) as purchases
    from starts s
    left join purchases p
        on p.contact_id = s.contact_id
        and p.purchased_at >= s.started_at
        and p.purchased_at <= s.started_at + interval '7 days'
    group by s.contact_id, s.event_name, s._source, s.session_key, s.started_at
),

flagged as (
    select
        contact_id,
        event_name,
        purchases = 0
            and started_at + interval '7 days' <= cast({{ run_date }} as timestamp) as abandoned
    from closed
),

per_contact as (
    select
        contact_id,
        sum(case when event_name = 'add_to_cart' then 1 else 0 end) as carts,
        sum(case when event_name = 'add_to_cart' and abandoned then 1 else 0 end) as abandoned_carts,
        sum(case when event_name = 'begin_checkout' then 1 else 0 end) as checkouts,
        sum(case when event_name = 'begin_checkout' and abandoned then 1 else 0 end) as abandoned_checkouts
    from flagged
    group by contact_id
),

final as (
    select
        -- ids
        contact_id,

        -- carts
        carts,
        abandoned_carts,
        abandoned_carts > 0 as cart_abandoned,

        -- checkouts
        checkouts,
        abandoned_checkouts,
        abandoned_checkouts > 0 as checkout_abandoned
    from per_contact
)

select * from final
