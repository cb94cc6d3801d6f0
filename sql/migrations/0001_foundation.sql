-- Extensions and helpers every resource uses.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Accent- and case-insensitive folding for search. unaccent() is only STABLE (its dictionary
-- could change), so indexes go through this IMMUTABLE wrapper that names the dictionary.
CREATE FUNCTION ttdn_fold(input text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, input));

-- The text a search document is built from: the folded text plus the abbreviations people type
-- for the long official names (GD&ĐT, THPT, UBND, TT&TT ...), in both directions.
CREATE FUNCTION ttdn_search_text(input text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN (
        SELECT folded
            || CASE WHEN folded LIKE '%giao duc va dao tao%' THEN ' gd dt gddt' ELSE '' END
            || CASE WHEN folded ~ 'gd ?& ?dt' THEN ' giao duc va dao tao' ELSE '' END
            || CASE WHEN folded LIKE '%trung hoc pho thong%' THEN ' thpt' ELSE '' END
            || CASE WHEN folded ~ '\mthpt\M' THEN ' trung hoc pho thong' ELSE '' END
            || CASE WHEN folded LIKE '%uy ban nhan dan%' THEN ' ubnd' ELSE '' END
            || CASE WHEN folded ~ '\mubnd\M' THEN ' uy ban nhan dan' ELSE '' END
            || CASE WHEN folded LIKE '%thong tin va truyen thong%' THEN ' tt tt tttt' ELSE '' END
            || CASE WHEN folded LIKE '%thong tin doi ngoai%' THEN ' ttdn' ELSE '' END
        FROM (SELECT ttdn_fold(input) AS folded) AS f
    );

-- A prefix-matching full-text query from free text: every word must match the start of a word.
-- Words are reduced to letters and digits first, so no tsquery syntax can come from input.
CREATE FUNCTION ttdn_search_query(input text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN (
        SELECT CASE WHEN count(*) = 0 THEN NULL
               ELSE to_tsquery('simple', string_agg(quote_literal(word) || ':*', ' & ')) END
        FROM regexp_split_to_table(ttdn_fold(input), '[^[:alnum:]]+') AS word
        WHERE word <> ''
    );

-- The calendar date in Hai Phong, where deadlines end at midnight.
CREATE FUNCTION ttdn_today() RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date;

-- Text stored by ttdn is NFC: Vietnamese arrives composed and decomposed, and PostgreSQL
-- compares the two forms as different strings.
CREATE DOMAIN nfc_text AS text CHECK (VALUE IS NFC NORMALIZED);
