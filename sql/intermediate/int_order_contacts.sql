-- Every order of int_orders with the CRM contact it belongs to: by its contact id when the order
-- has one that is a CRM contact's, else by its email (trimmed, lower case, as the CRM's).
-- `contact_id` is null for an order that matches nobody (a point-of-sale order without email,
-- a buyer who is not in the CRM): int_contact_orders leaves those out and the orders_unmatched
-- mart lists them, so the run can say how many there are.
with orders as (
    select * from int_orders
),

contacts as (
    select contact_id, email from int_crm_contacts
),

matched as (
    select
        coalesce(by_id.contact_id, by_email.contact_id) as contact_id,
        o.order_id,
        o.email,
        o.ordered_at,
        o.amount,
        o.refunded,
        o.has_discount,
        o.is_refunded,
        o.is_counted,
        o.categories,
        o.products
    from orders o
    left join contacts by_id on by_id.contact_id = o.contact_id
    left join contacts by_email on by_email.email = o.email
)

select * from matched
