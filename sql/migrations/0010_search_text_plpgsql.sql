-- ttdn_search_text as PL/pgSQL, same expressions and output as migration 0001.
--
-- The SQL version's body is a sub-SELECT, which PostgreSQL neither inlines nor caches: it was
-- parsed and planned again on every call, about 200 µs for each unit or media entry written
-- (its stored `search` column calls it). PL/pgSQL keeps its plans: about 24 µs. The stored
-- search documents do not change, so nothing is recomputed.
CREATE OR REPLACE FUNCTION ttdn_search_text(input text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    folded text := ttdn_fold(input);
BEGIN
    RETURN folded
        || CASE WHEN folded LIKE '%giao duc va dao tao%' THEN ' gd dt gddt' ELSE '' END
        || CASE WHEN folded ~ 'gd ?& ?dt' THEN ' giao duc va dao tao' ELSE '' END
        || CASE WHEN folded LIKE '%trung hoc pho thong%' THEN ' thpt' ELSE '' END
        || CASE WHEN folded ~ '\mthpt\M' THEN ' trung hoc pho thong' ELSE '' END
        || CASE WHEN folded LIKE '%uy ban nhan dan%' THEN ' ubnd' ELSE '' END
        || CASE WHEN folded ~ '\mubnd\M' THEN ' uy ban nhan dan' ELSE '' END
        || CASE WHEN folded LIKE '%thong tin va truyen thong%' THEN ' tt tt tttt' ELSE '' END
        || CASE WHEN folded LIKE '%thong tin doi ngoai%' THEN ' ttdn' ELSE '' END;
END $$;
