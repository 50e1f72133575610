-- Reports, their photos and follow-up tokens moved to the discovery service's
-- own schema (discovery's 0001_reports.sql). A deployment that holds rows in
-- them copies them over once before this runs: docs/operations.md, "Moving
-- reports to the discovery schema".
DROP TABLE IF EXISTS report_attachments;
DROP TABLE IF EXISTS follow_up_tokens;
DROP TABLE IF EXISTS reports;
