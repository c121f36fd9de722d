"""Pandera models, one per table, named after the table. Pure: no I/O."""
