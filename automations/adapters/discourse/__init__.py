"""Discourse: the forum's ambassadors group, through its API."""
