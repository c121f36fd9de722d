"""Email: a purchase order as a message (message.py), sending it over SMTP (transport.py), the
exactly-once record in the `emails` table (record.py), and an alert for ops (alert.py). The
sending stage, with its retries, is flows/mailing.py."""
