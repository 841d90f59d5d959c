-- Purchases per CRM contact, from the orders int_order_contacts matched to a contact (by contact
-- id, else email); the orders that match nobody are listed in the orders_unmatched mart.
-- What counts as an order: one neither fully refunded nor cancelled (is_counted); those are
-- still in `orders_placed` and in `refund_share`.
-- - orders: counted orders; first_order_at / last_order_at: the first and last of them;
-- - days_between_orders: the mean gap between consecutive counted orders, in days (null below
--   two orders);
-- - buyer_type: `none` (no counted order), `one_time` (1), `repeat` (2 or 3), `frequent` (4 or
--   more);
-- - aov: the mean amount (order total) of the counted orders; a partial refund does not lower
--   it, order_revenue (the counted orders' amounts less their refunds) does;
-- - discount_share: the share of counted orders with a discount (an amount or a code);
-- - refund_share: the share of all placed orders with a refund, full or partial;
-- - categories_bought / products_bought: the categories and products of the counted orders,
--   `;`-separated, alphabetical (multi-valued).
-- Amounts are added as written: a shop selling in several currencies should convert first.
with matched as (
    select * from int_order_contacts
),

per_contact as (
    select
        contact_id,
        count(*) as orders_placed,
        sum(case when is_counted then 1 else 0 end) as orders,
        sum(case when is_refunded then 1 else 0 end) as refunded_orders,
        min(case when is_counted then ordered_at end) as first_order_at,
        max(case when is_counted then ordered_at end) as last_order_at,
        count(case when is_counted then ordered_at end) as dated_orders,
        avg(case when is_counted then amount end) as aov,
        sum(case when is_counted then amount - refunded end) as order_revenue,
        avg(case when is_counted then case when has_discount then 1.0 else 0.0 end end)
            as discount_share,
        avg(case when refunded > 0 or is_refunded then 1.0 else 0.0 end) as refund_share
    from matched
    where contact_id is not null
    group by contact_id
),

-- the distinct categories and products of each contact's counted orders (two steps: distinct,
-- then joined)
bought_items as (
    select distinct contact_id, kind, trim(item) as item
    from (
        select contact_id, 'category' as kind, unnest(string_to_array(categories, ';')) as item
        from matched
        where contact_id is not null and is_counted and categories is not null
        union all
        select contact_id, 'product' as kind, unnest(string_to_array(products, ';')) as item
        from matched
        where contact_id is not null and is_counted and products is not null
    )
),

bought as (
    select
        contact_id,
        string_agg(item, ';' order by item) filter (where kind = 'category') as categories_bought,
        string_agg(item, ';' order by item) filter (where kind = 'product') as products_bought
    from bought_items
    group by contact_id
),

final as (
    select
        -- ids
        p.contact_id,

        -- orders
        p.orders_placed,
        p.orders,
        p.refunded_orders,
        p.first_order_at,
        p.last_order_at,
        case
            when p.dated_orders >= 2
                then (to_unixtime(p.last_order_at) - to_unixtime(p.first_order_at))
                    / 86400.0 / (p.dated_orders - 1)
        end as days_between_orders,
        case
            when p.orders = 0 then 'none'
            when p.orders = 1 then 'one_time'
            when p.orders <= 3 then 'repeat'
            else 'frequent'
        end as buyer_type,

        -- value
        p.aov,
        p.order_revenue,
        p.discount_share,
        p.refund_share,

        -- what was bought
        b.categories_bought,
        b.products_bought
    from per_contact p
    left join bought b on b.contact_id = p.contact_id
)

select * from final
