-- Staging: the Shopify admin orders export, one row per line item as exported. Times were
-- normalised to UTC at landing, money checked as numbers, zips stripped of Excel's leading
-- quote. Order-level fields (financial status, totals, discount, refunded amount, cancellation)
-- are only filled on an order's first row; int_orders reads them from there. A point-of-sale
-- order may have no email. Several Shopify sources (stores) are unioned in the raw table;
-- `_source` names the one each line was read from. No joins here.
with source as (
    select * from raw_shopify__orders
),

renamed as (
    select
        -- ids
        trim("Name") as order_id,
        nullif(lower(trim("Email")), '') as email,

        -- order (first row only)
        nullif(lower(trim("Financial Status")), '') as financial_status,
        to_timestamp(trim("Created at")) as created_at,
        to_timestamp(trim("Paid at")) as paid_at,
        to_timestamp(trim("Cancelled at")) as cancelled_at,
        nullif(upper(trim("Currency")), '') as currency,
        cast(trim("Subtotal") as double) as subtotal,
        cast(trim("Shipping") as double) as shipping,
        cast(trim("Taxes") as double) as taxes,
        cast(trim("Total") as double) as total,
        nullif(trim("Discount Code"), '') as discount_code,
        cast(trim("Discount Amount") as double) as discount_amount,
        cast(trim("Refunded Amount") as double) as refunded_amount,
        nullif(lower(trim("Source")), '') as sales_channel,
        nullif(trim("Billing Country"), '') as billing_country,

        -- line item
        cast(trim("Lineitem quantity") as double) as quantity,
        trim("Lineitem name") as line_name,
        -- the product without its variant: `Linen shirt - M` is `Linen shirt`
        nullif(trim(regexp_replace(trim("Lineitem name"), '\s+-\s+[^-]*$', '')), '') as product,
        cast(trim("Lineitem price") as double) as line_price,
        cast(trim("Lineitem discount") as double) as line_discount,
        nullif(trim("Lineitem sku"), '') as sku,

        -- lineage (`_source`: the `[[sources]]` entry the row was read from)
        _source_file, _source_line, _loaded_at, _source
    from source
)

select * from renamed
