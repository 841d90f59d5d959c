-- Staging: answers of the long survey CSV (`email, question, answer`, optional `submitted_at`
-- and `respondent_id`), one row per answer, with the response it belongs to: a response (the
-- rows of one submission) is the respondent, or the email, at one submission time in one file.
-- The respondent is the file's `respondent_id`. The columns every survey source lands are
-- cleaned once, alike, in int_survey_answers. No joins here.
select
    *,
    _source_file || ':'
        || coalesce(
            nullif(trim(respondent_id), ''),
            nullif(lower(trim(email)), ''),
            cast(_source_line as varchar)
        )
        || '@' || coalesce(cast(submitted_at as varchar), '') as response
from raw_survey__answers
