-- Staging: Mailchimp audience export (subscribed, unsubscribed and cleaned files in one table).
-- TAGS comes as `a, b` or `"A","B"`: normalised to a lower-case, comma-separated list.
with source as (
    select * from raw_mailchimp__members
),

renamed as (
    select
        -- ids
        lower(trim("Email Address")) as email,

        -- status
        _member_status as email_status,
        cast("MEMBER_RATING" as int) as email_rating,
        to_timestamp("OPTIN_TIME") as opted_in_at,
        to_timestamp("LAST_CHANGED") as last_changed_at,
        "UNSUB_REASON" as unsubscribe_reason,

        -- tags
        nullif(regexp_replace(lower(replace("TAGS", '"', '')), '\s*,\s*', ',', 'g'), '') as tags,

        -- lineage
        _source_file, _source_line, _loaded_at
    from source
)

select * from renamed
