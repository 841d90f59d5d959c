{{ config(materialized='view') }}
-- Identity: one row per (deduplicated) CRM contact, joined to its email-list member (CRM Email = Mailchimp
-- Email Address, both trimmed and lower-cased), its web activity (GA4 user_id = Record ID), its
-- orders (int_contact_orders: matched by contact id or email) and its GA4 carts and checkouts.
-- A view: `int_contact_features` reads it once, so its rows stream into that model instead of
-- being held beside it.
with contacts as (
    select * from int_crm_contacts
),

members as (
    select * from int_email_members
),

web as (
    select * from int_web_activity
),

purchases as (
    select * from int_contact_orders
),

carts as (
    select * from int_contact_carts
),

joined as (
    select
        c.*,
        -- your own CRM fields ([[features.columns]] in the pipeline config), as text
        {{ own_fields }}
        m.email_status,
        m.email_rating,
        m.tags,
        m.unsubscribe_reason,
        w.events,
        w.sessions,
        w.page_views,
        w.sections_visited,
        {{ content_group_columns }}
        w.share_mobile,
        w.share_desktop,
        w.share_medium_organic,
        w.share_medium_cpc,
        w.share_medium_referral,
        w.share_medium_email,
        w.share_medium_social,
        w.share_medium_none,
        w.web_revenue,
        w.last_event_at,
        w.top_section,
        w.top_medium,
        w.main_device,
        -- purchases (null without orders)
        o.orders_placed,
        o.orders,
        o.refunded_orders,
        o.first_order_at,
        o.last_order_at,
        o.days_between_orders,
        o.buyer_type,
        o.aov,
        o.order_revenue,
        o.discount_share,
        o.refund_share,
        o.categories_bought,
        o.products_bought,
        -- carts and checkouts (null without any)
        k.carts,
        k.abandoned_carts,
        k.checkouts,
        k.abandoned_checkouts
    from contacts c
    left join members m on m.email = c.email
    left join web w on w.contact_id = c.contact_id
    left join purchases o on o.contact_id = c.contact_id
    left join carts k on k.contact_id = c.contact_id
    {{ own_field_joins }}
)

select * from joined
