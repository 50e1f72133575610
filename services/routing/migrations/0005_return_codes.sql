-- 退单 reason codes are the response API's enum now (issue 5): codes are kept
-- as enum names, and the department a NEEDS_ANOTHER_DEPARTMENT return named is
-- its own column instead of the first word of the reason text.
ALTER TABLE dispatch_assignments ADD COLUMN return_department text NOT NULL DEFAULT '';
ALTER TABLE arbitrations ADD COLUMN return_department text NOT NULL DEFAULT '';

UPDATE dispatch_assignments SET return_code = CASE return_code
    WHEN 'not_our_remit' THEN 'NOT_OUR_REMIT'
    WHEN 'wrong_location' THEN 'WRONG_LOCATION'
    WHEN 'duplicate' THEN 'DUPLICATE'
    WHEN 'needs_other_department' THEN 'NEEDS_ANOTHER_DEPARTMENT'
    ELSE return_code END
WHERE return_code <> '';

UPDATE arbitrations SET reason_code = CASE reason_code
    WHEN 'not_our_remit' THEN 'NOT_OUR_REMIT'
    WHEN 'wrong_location' THEN 'WRONG_LOCATION'
    WHEN 'duplicate' THEN 'DUPLICATE'
    WHEN 'needs_other_department' THEN 'NEEDS_ANOTHER_DEPARTMENT'
    ELSE reason_code END
WHERE reason_code <> '';
