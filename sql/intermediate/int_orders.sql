-- One row per order, from every order export the pipeline reads: Shopify orders exports and
-- mapped orders CSVs (an order is its source, `_source`, and its id).
-- Shopify: the order-level fields (email, status, time, currency, total, discount, refunded
-- amount, cancellation) come from the order's first row in its file; quantities are summed
-- over its lines. An order exported twice (overlapping exports) is read from the last file
-- holding it, by name. The amount is the order's total as Shopify computes it (lines, less
-- discounts, plus shipping and taxes).
-- Orders CSV: the rows sharing an order id are one order; its amount, discount and refunded
-- amount are the sums of its rows', its time the earliest.
-- An order is fully refunded when its status says `refunded` or its refunded amount reaches its
-- amount, cancelled when it has a cancellation time or its status is `cancelled`, `canceled` or
-- `voided`; neither kind is counted as an order by int_contact_orders (is_counted).
-- Shopify's export names products, not categories: a Shopify order's categories are its
-- products (line item names without the variant after ` - `), and so are an orders CSV's when
-- its mapping names no category. Categories and products are `;`-separated, alphabetical.
with shopify_lines as (
    select * from stg_shopify__order_lines
),

csv_rows as (
    select * from stg_csv__orders
),

-- Shopify: the file each order is read from
shopify_files as (
    select _source, order_id, max(_source_file) as _source_file
    from shopify_lines
    group by _source, order_id
),

shopify_order_lines as (
    select
        l.*,
        row_number() over (
            partition by l._source, l.order_id order by l._source_line
        ) as line_rank
    from shopify_lines l
    join shopify_files f
        on f._source = l._source
        and f.order_id = l.order_id
        and f._source_file = l._source_file
),

shopify_line_totals as (
    select
        _source,
        order_id,
        sum(quantity) as items,
        count(*) as lines
    from shopify_order_lines
    group by _source, order_id
),

-- distinct products of an order, in alphabetical order (two steps: distinct, then joined)
shopify_products as (
    select _source, order_id, string_agg(product, ';' order by product) as products
    from (
        select distinct _source, order_id, product
        from shopify_order_lines
        where product is not null
    )
    group by _source, order_id
),

shopify_orders as (
    select
        -- ids
        f._source,
        'shopify' as source_kind,
        f.order_id,
        cast(null as varchar) as contact_id,
        f.email,

        -- order
        f.created_at as ordered_at,
        f.currency,
        coalesce(f.total, 0.0) as amount,
        coalesce(f.discount_amount, 0.0) as discount,
        f.discount_code,
        coalesce(f.refunded_amount, 0.0) as refunded,
        f.financial_status as status,
        f.cancelled_at,
        f.sales_channel,

        -- lines
        t.items,
        t.lines,
        p.products,
        p.products as categories
    from shopify_order_lines f
    join shopify_line_totals t on t._source = f._source and t.order_id = f.order_id
    left join shopify_products p on p._source = f._source and p.order_id = f.order_id
    where f.line_rank = 1
),

-- Orders CSV: the rows of an order added up
csv_orders_summed as (
    select
        _source,
        order_id,
        max(contact_id) as contact_id,
        max(email) as email,
        min(ordered_at) as ordered_at,
        max(currency) as currency,
        sum(amount) as amount,
        coalesce(sum(discount), 0.0) as discount,
        coalesce(sum(refunded), 0.0) as refunded,
        max(status) as status,
        count(*) as lines
    from csv_rows
    group by _source, order_id
),

csv_products as (
    select _source, order_id, string_agg(product, ';' order by product) as products
    from (
        select distinct _source, order_id, product
        from csv_rows
        where product is not null
    )
    group by _source, order_id
),

csv_categories as (
    select _source, order_id, string_agg(category, ';' order by category) as categories
    from (
        select distinct _source, order_id, category
        from csv_rows
        where category is not null
    )
    group by _source, order_id
),

csv_orders as (
    select
        -- ids
        o._source,
        'csv' as source_kind,
        o.order_id,
        o.contact_id,
        o.email,

        -- order
        o.ordered_at,
        o.currency,
        o.amount,
        o.discount,
        cast(null as varchar) as discount_code,
        o.refunded,
        o.status,
        cast(null as timestamp) as cancelled_at,
        cast(null as varchar) as sales_channel,

        -- lines
        cast(o.lines as double) as items,
        o.lines,
        p.products,
        coalesce(c.categories, p.products) as categories
    from csv_orders_summed o
    left join csv_products p on p._source = o._source and p.order_id = o.order_id
    left join csv_categories c on c._source = o._source and c.order_id = o.order_id
),

orders as (
    select * from shopify_orders
    union all
    select * from csv_orders
),

flagged as (
    select
        *,
        coalesce(discount > 0 or discount_code is not null, false) as has_discount,
        coalesce(status = 'refunded' or (amount > 0 and refunded >= amount), false) as is_refunded,
        coalesce(
            cancelled_at is not null or status in ('cancelled', 'canceled', 'voided'), false
        ) as is_cancelled
    from orders
),

final as (
    select
        *,
        -- an order int_contact_orders counts: neither fully refunded nor cancelled
        not is_refunded and not is_cancelled as is_counted
    from flagged
)

select * from final
