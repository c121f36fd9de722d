"""The business rules of a cutoff, as pure polars functions (no I/O, no clock, no Prefect).

One module per section of the rulebook (../shared/spec/domain.md): windows, staging, allocation,
groups, tiers, case_rounding, close, purchase, sorting, commissions, settlement; and the run's
figures (summary) and rejects (rejects).
"""
