"""Prefect flows and tasks (thin), and the adapters: warehouse, readers, workbooks, mailer,
settings, command line, deployments."""
