-- A whistle's row is updated as its status moves (RAISED → ROUTED →
-- RESPONDING → ...), shortly after it was inserted. With 15 % of each page
-- free (0007), a page of ~22 rows has room for the new versions of ~4 of
-- them: most moves were written as non-HOT updates (about three in four
-- under the bench's steady load), each a new entry in every index of the table,
-- the trigram index's dozens of entries included. Half a page free lets every
-- row's next version stay on its page (HOT); pruning then reclaims the old
-- versions for the moves after that. Applies to pages written from now on.
ALTER TABLE whistles SET (fillfactor = 50);
