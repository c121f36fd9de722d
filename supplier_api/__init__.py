"""Purchase orders into the supplier's own system (po_transport = api): the signed HTTP request,
the retries of one supplier's post, the signing secrets' file and the exactly-once record
(`po_deliveries`). docs/po-api.md."""
