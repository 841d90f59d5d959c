-- Staging: a shop's orders CSV read through its column mapping (columns already named by order
-- field at landing; times normalised to YYYY-MM-DD HH:MM:SS), one row per file row: a whole
-- order or one of its lines (int_orders adds up the rows of an order). Fields the mapping leaves
-- out are null. No joins here.
with source as (
    select * from raw_csv__orders
),

renamed as (
    select
        -- ids
        trim(order_id) as order_id,
        nullif(trim(contact_id), '') as contact_id,
        nullif(lower(trim(email)), '') as email,

        -- order
        to_timestamp(trim(ordered_at)) as ordered_at,
        nullif(upper(trim(currency)), '') as currency,
        cast(trim(amount) as double) as amount,
        cast(trim(discount) as double) as discount,
        cast(trim(refunded) as double) as refunded,
        nullif(lower(trim(status)), '') as status,

        -- line
        nullif(trim(product), '') as product,
        nullif(trim(category), '') as category,

        -- lineage (`_source`: the `[[sources]]` entry the row was read from)
        _source_file, _source_line, _loaded_at, _source
    from source
)

select * from renamed
