"""Mail: the templates, the message and its headers, how sending fails, and delivery with the ledger that makes each
message go once. The transports themselves are adapters (`adapters/outbox.py`, `adapters/smtp.py`, Gmail in
`adapters/google/`)."""
