-- Staging: Google Forms answers, one row per answer as the Google Forms reader landed them (a
-- checkbox answer split into its options). Emails lower-cased and trimmed for matching; Google
-- writes no response id: the respondent and the response are the response's file and line. No
-- joins here.
with source as (
    select * from raw_google_forms__responses
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
