-- 退单 reason codes (issue 5): why a desk returned its dispatch, as the API's
-- enum name (NOT_OUR_REMIT, WRONG_LOCATION, DUPLICATE, NEEDS_ANOTHER_DEPARTMENT),
-- and the department a NEEDS_ANOTHER_DEPARTMENT return named. Dispatches
-- returned before codes existed keep '' (RETURN_CODE_UNSPECIFIED).
ALTER TABLE dispatches
    ADD COLUMN return_code       text NOT NULL DEFAULT '',
    ADD COLUMN return_department text NOT NULL DEFAULT '';
