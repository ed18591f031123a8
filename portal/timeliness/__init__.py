"""Timeliness in the portal: the pure calendar and rules (workflows/) read from the database."""
