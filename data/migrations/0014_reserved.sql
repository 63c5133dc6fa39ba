-- Reserved: another branch of this round adds the migration with this number. This stand-in
-- only keeps the numbers in sequence on the msglist branch; the merge takes the other file
-- and removes this one.
SELECT 1;
