-- A whistle's chain head is updated twice per consumer batch that appends to
-- its timeline (claimed, then advanced). Its rows are small and a full page
-- had no room for their new versions, so most updates were non-HOT (a new
-- primary-key entry each). Half of each page free keeps them on the page.
ALTER TABLE chain_heads SET (fillfactor = 50);
