-- Staging: Typeform answers, one row per answer as the Typeform reader landed them (a
-- multiple-selection question's choices one row each). Emails lower-cased and trimmed for
-- matching; the respondent is Typeform's response token (`#`), else the response's file and
-- line; a response is its file and line. No joins here.
with source as (
    select * from raw_typeform__responses
),

renamed as (
    select
        -- ids
        coalesce(
            nullif(trim(respondent_id), ''),
            _source_file || ':' || cast(_source_line as varchar)
        ) as respondent_id,
        _source_file || ':' || cast(_source_line as varchar) as response,
        nullif(lower(trim(email)), '') as email,
        -- answer
        submitted_at,
        trim(question) as question,
        trim(answer) as answer,
        answer_index,
        multi,
        -- lineage
        _source,
        _source_file,
        _source_line,
        _loaded_at
    from source
)

select * from renamed
