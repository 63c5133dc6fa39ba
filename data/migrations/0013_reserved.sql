-- Reserved: number 13 belongs to another branch's migration, merged separately. This
-- placeholder only keeps the sequence whole on the branch that brings 0014; drop it when the
-- real 0013 is merged.
SELECT 1;
