"""The commission ledger (佣金台账): posting a cutoff's commissions (posting.py), reconciling what
was written with what was computed (reconcile.py), settling a week (settlement.py). The rules are
transforms/commissions.py and transforms/settlement.py; the workbook is sheets/commissions_book.py."""
