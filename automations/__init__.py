"""Automation for an open-source community's Ambassador Program (check-ins, compliance, mail)."""

__version__ = "0.1.0"
