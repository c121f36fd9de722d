"""Prefect and the entry points only: the flows and their thin tasks, the run plan and run names,
deployments, alerts, artifacts, settings and the command line (docs/architecture.md)."""
