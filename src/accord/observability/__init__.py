"""Observability: traces (:mod:`.tracing`, kept locally by :mod:`.spanstore`), Prometheus
metrics computed from the database (:mod:`.metrics`), structured logs (:mod:`.logs`), alert
rules and dashboards generated from the configuration (:mod:`.alerting`) and notifications
to the owners of exceptions (:mod:`.notify`). ``docs/operations.md`` describes each."""
