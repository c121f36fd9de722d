"""The DuckDB warehouse: the connection (opened once per run and handed in), every table's DDL
beside its Pandera model (tables.py), and the queries the flows need (queries.py)."""
