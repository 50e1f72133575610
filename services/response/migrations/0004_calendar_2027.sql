-- 2027 in the working-day calendar.
--
-- The State Council's 2027 schedule (国务院办公厅关于2027年部分节假日安排的通知)
-- was not found when this was written, so 2027 holds only the statutory days
-- that 全国年节及纪念日放假办法 (2024 revision) itself fixes, on their 2027
-- dates, as 0002 seeded them: 元旦 1-1; 春节 除夕 to 初三, 2-5..2-8 (初一 =
-- 2-6); 清明节 4-5; 劳动节 5-1, 5-2; 端午节 6-9; 中秋节 9-15; 国庆节 10-1..10-3.
-- They are marked provisional here. The rest days and the weekend make-up
-- working days (调休) are entered by an admin (SlaAdminService.SetCalendarDay)
-- once the schedule is published; a day set that way is no longer provisional.
ALTER TABLE calendar_days ADD COLUMN provisional boolean NOT NULL DEFAULT false;

-- Only those days, unchanged since 0002: a 2027 day an admin has set already
-- is taken as from the published schedule.
UPDATE calendar_days SET provisional = true
WHERE kind = 'holiday' AND (day, name) IN (
    ('2027-01-01', '元旦'),
    ('2027-02-05', '春节'), ('2027-02-06', '春节'), ('2027-02-07', '春节'), ('2027-02-08', '春节'),
    ('2027-04-05', '清明节'),
    ('2027-05-01', '劳动节'), ('2027-05-02', '劳动节'),
    ('2027-06-09', '端午节'),
    ('2027-09-15', '中秋节'),
    ('2027-10-01', '国庆节'), ('2027-10-02', '国庆节'), ('2027-10-03', '国庆节')
);
