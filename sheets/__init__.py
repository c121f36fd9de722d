"""The workbooks: declared (spec.py), rendered (cells.py, writer.py) and packaged (package.py: the
one module that touches openpyxl's internals), in the words of each language (labels.py). One
module per workbook: purchase_orders, sorting, handouts, summary_book, commissions_book; the run's
books, over a process pool, in run_books.py."""
