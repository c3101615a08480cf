-- Deactivated users (the directory's edit and deactivate). A deactivated user stays in
-- the directory, so that history, audit trails and old tasks still name them, but
-- authenticates nothing: their API keys, web sessions and sign-in links are refused (the
-- credential queries read deactivated_at) and deactivating ends their web sessions.
-- They are not offered by the person picker, not given tasks by reassignment or
-- delegation, not emailed, and passed over as a manager. Reactivating clears it.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
