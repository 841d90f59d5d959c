-- The orders that match no CRM contact, by contact id or email (see int_order_contacts): they
-- count in no persona's purchases. The run prints how many of all orders they are.
select order_id, email, ordered_at, amount
from int_order_contacts
where contact_id is null
