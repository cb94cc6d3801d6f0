-- Secrets of this installation, made once here and shared by every ttdn process on the database.
-- `cursor` signs pagination cursors (HMAC-SHA256): a cursor that this installation did not issue
-- is refused, and no constant in the source can forge one. 32 bytes from two v4 UUIDs
-- (244 random bits); rotating it is deleting the row and inserting another: cursors already
-- handed out stop working, nothing else does.
CREATE TABLE installation_secrets (
    name        text PRIMARY KEY,
    secret      bytea NOT NULL CHECK (length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO installation_secrets (name, secret)
VALUES ('cursor', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
