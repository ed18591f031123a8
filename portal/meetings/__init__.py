"""Arranging a PEP's meeting: the pages, and the calendar invitation they send."""
