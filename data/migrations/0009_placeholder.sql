-- Placeholder in branch i14c only, so that its migration 0012 is in sequence; the real
-- migration of this number comes from another branch at merge and replaces this file.
SELECT 1;
