-- Approve / reject links in approval emails (web/): each is a random token the email
-- carries, stored here only as its hash (SHA-256, hex), for one task, one person and one
-- outcome, until it expires. Opening the link changes nothing; confirming it uses it
-- once (used_at), and a used or expired link is refused.
CREATE TABLE web_approval_links (
    token_hash text        PRIMARY KEY,
    task_id    text        NOT NULL,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outcome    text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX web_approval_links_expires_idx ON web_approval_links (expires_at);
