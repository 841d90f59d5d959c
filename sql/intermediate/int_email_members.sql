-- One row per email address on the list: when an address appears in more than one export file
-- (subscribed again after unsubscribing), the latest change wins.
with members as (
    select * from stg_mailchimp__members
),

ranked as (
    select
        *,
        row_number() over (
            partition by email
            order by last_changed_at desc nulls last, _source_file, _source_line
        ) as rn
    from members
    where email is not null
)

select email, email_status, email_rating, tags, opted_in_at, last_changed_at, unsubscribe_reason
from ranked
where rn = 1
