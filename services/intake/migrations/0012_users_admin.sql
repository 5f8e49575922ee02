-- The administration screens (/desk/admin): every change an administrator makes — to desk users here, or
-- through intake to the classifier (manuals, complaint types) and the notifier (roster) — is recorded with
-- the administrator's name, whether the owning service accepted it, and its answer. Rows are never updated
-- or deleted by the application. (desk_users.disabled exists since 0004.)
CREATE TABLE IF NOT EXISTS desk_admin_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint      NOT NULL REFERENCES desk_users (id),
    user_name   text        NOT NULL,
    service     text        NOT NULL CHECK (service IN ('intake', 'classifier', 'notifier')),
    action      text        NOT NULL,            -- e.g. 'PUT /api/v1/manuals/noise', 'user.disable'
    target      text        NOT NULL,
    status      integer     NOT NULL,            -- the owner's HTTP status (502: unreachable)
    detail      text,                            -- what changed, or the owner's error; never a password or phone
    client_ip   text
);
CREATE INDEX IF NOT EXISTS desk_admin_log_at ON desk_admin_log (at DESC);
