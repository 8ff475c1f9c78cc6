"""Jobs: each reads through the adapters, plans with the core, then applies."""
