-- Reports (GET /v1/reports/definitions/{key}) read one definition's tasks created in a
-- time window, grouped by step. runs_definition_started_idx (001) already serves the
-- run half; this index serves the task half, and carries the columns the report
-- aggregates so the scan needs no heap visits for them once the visibility map is set.
CREATE INDEX tasks_definition_created_idx ON tasks (definition, created_at)
    INCLUDE (step_id, run_id, kind, status, outcome, due_at, completed_at);
