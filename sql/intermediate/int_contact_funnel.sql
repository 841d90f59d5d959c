-- The purchase funnel per CRM contact: one row per contact of int_crm_contacts, with the steps
-- it took, from the GA4 events of logged-in visitors (user_id = the CRM contact id; anonymous
-- events cannot be tied to a contact) and the counted orders of int_contact_orders.
-- - visited: any logged-in GA4 event;
-- - viewed_product: a `page_view` of a product or pricing page (`[funnel] product_paths`, matched
--   against page_path as content-group paths are: a path covers itself and the pages below it);
-- - added_to_cart / began_checkout: a GA4 `add_to_cart` / `begin_checkout`;
-- - purchased: a GA4 `purchase`, or a counted order in int_contact_orders (an order from a shop
--   export needs no logged visit);
-- - buyer_type: int_contact_orders' (`none`, `one_time`, `repeat`, `frequent`); `none` without
--   a counted order, also for a contact whose only purchase is a GA4 event.
-- Each flag is the contact's own: a contact may purchase without a logged cart. The persona
-- funnel (`persona_funnel`) counts a contact as reaching a step when it took that step or a
-- later one.
with contacts as (
    select contact_id from int_crm_contacts
),

events as (
    select
        contact_id,
        event_name,
        event_name = 'page_view' and ({{ funnel_product_paths }}) as is_product_view
    from stg_ga4__events
    where contact_id is not null
),

orders as (
    select contact_id, orders, buyer_type from int_contact_orders
),

per_contact as (
    select
        contact_id,
        max(case when is_product_view then 1 else 0 end) as product_views,
        max(case when event_name = 'add_to_cart' then 1 else 0 end) as carts,
        max(case when event_name = 'begin_checkout' then 1 else 0 end) as checkouts,
        max(case when event_name = 'purchase' then 1 else 0 end) as purchases
    from events
    group by contact_id
),

final as (
    select
        -- ids
        c.contact_id,

        -- steps
        e.contact_id is not null as visited,
        coalesce(e.product_views = 1, false) as viewed_product,
        coalesce(e.carts = 1, false) as added_to_cart,
        coalesce(e.checkouts = 1, false) as began_checkout,
        coalesce(e.purchases = 1, false) or coalesce(o.orders > 0, false) as purchased,

        -- buyers
        coalesce(o.buyer_type, 'none') as buyer_type
    from contacts c
    left join per_contact e on e.contact_id = c.contact_id
    left join orders o on o.contact_id = c.contact_id
)

select * from final
