-- Bearer tokens. Only a SHA-256 of the secret is stored; `public_id` finds the row.
CREATE TYPE token_role AS ENUM ('admin', 'editor', 'viewer');

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    public_id    text NOT NULL CONSTRAINT api_tokens_public_id_key UNIQUE,
    secret_hash  bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    role         token_role NOT NULL,
    unit_id      uuid CONSTRAINT api_tokens_unit_fkey REFERENCES units (id),
    name         nfc_text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    expires_on   date,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_tokens_editor_has_unit CHECK (role <> 'editor' OR unit_id IS NOT NULL),
    CONSTRAINT api_tokens_admin_has_no_unit CHECK (role <> 'admin' OR unit_id IS NULL)
);

-- Every write, in the transaction that made it. Append-only: the API never edits it.
-- `txid` orders the change feed: rows of transactions older than every running one are final.
CREATE TABLE audit_events (
    id             bigserial PRIMARY KEY,
    txid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    actor_token_id uuid,
    actor_role     token_role,
    actor_unit_id  uuid,
    resource_type  text NOT NULL,
    resource_id    text NOT NULL,
    action         text NOT NULL,
    changed_fields text[] NOT NULL DEFAULT '{}',
    before         jsonb,
    after          jsonb,
    request_id     text
);

CREATE INDEX audit_events_feed ON audit_events (txid, id);
CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_token_id, id);
CREATE INDEX audit_events_time ON audit_events (occurred_at, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Idempotency keys for POST: the first response, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    scope         text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    state         text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'completed')),
    status        integer,
    headers       jsonb,
    body          text,
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
