"""Use cases: the only code that changes state. Each one writes its audit events in the
same transaction as the change it records, and commits."""
