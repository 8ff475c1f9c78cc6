"""Airtable: the bases tables as the programs stores (roster, reports, ledger, staff tables), its schema, and
the one client every request goes through (pacing, retries, usage)."""
