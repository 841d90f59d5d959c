-- Staging: Google Forms answers, one row per answer as the Google Forms reader landed them (a
-- checkbox answer split into its options), with the response it belongs to: Google writes no
-- response id, so the response (and the respondent) is the response's file and line. The
-- columns every survey source lands are cleaned once, alike, in int_survey_answers. No joins
-- here.
select
    *,
    _source_file || ':' || cast(_source_line as varchar) as response
from raw_google_forms__responses
