-- Staging: Typeform answers, one row per answer as the Typeform reader landed them (a
-- multiple-selection question's choices one row each), with the response it belongs to: its
-- file and line. The respondent is Typeform's response token (`#`, landed as respondent_id).
-- The columns every survey source lands are cleaned once, alike, in int_survey_answers. No
-- joins here.
select
    *,
    _source_file || ':' || cast(_source_line as varchar) as response
from raw_typeform__responses
