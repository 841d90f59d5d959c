-- Staging: answers of the long survey CSV (`email, question, answer`, optional `submitted_at`
-- and `respondent_id`), one row per answer. Emails lower-cased and trimmed for matching; the
-- respondent is the file's `respondent_id`, else the row's file and line; a response (the rows
-- of one submission) is the respondent, or the email, at one submission time in one file. No
-- joins here.
with source as (
    select * from raw_survey__answers
),

renamed as (
    select
        -- ids
        coalesce(
            nullif(trim(respondent_id), ''),
            _source_file || ':' || cast(_source_line as varchar)
        ) as respondent_id,
        _source_file || ':'
            || coalesce(
                nullif(trim(respondent_id), ''),
                nullif(lower(trim(email)), ''),
                cast(_source_line as varchar)
            )
            || '@' || coalesce(cast(submitted_at as varchar), '') as response,
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
