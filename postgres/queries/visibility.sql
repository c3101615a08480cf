-- name: RunVisible :one
-- Whether the user may see the run: the rule is run_visible (migration 009).
SELECT run_visible(@run_id::text, @viewer::text)::boolean AS visible;
