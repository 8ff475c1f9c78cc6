"""Adapters: the edges where files, services and mail are read and written."""
