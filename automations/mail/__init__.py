"""Mail: templates, transports (outbox, SMTP), the ledger that makes each message go once."""
