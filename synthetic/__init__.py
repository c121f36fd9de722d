"""The synthetic data generator (`cutoff generate`, `cutoff demo`, tests and benchmarks): what a shop
system would export for a cutoff, split by what it makes: catalogue.py (categories, suppliers,
products), master_data.py (pickup points, distributors, listings), orders.py (order lines, their
later versions, refunds), exports.py (the files, in three encodings and formats). dataset.py
(`generate_dataset`) draws them in a fixed order from one seeded generator; shape.py sizes them."""
