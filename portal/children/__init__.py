"""Children's records: the list a person may see, and one child's details and PEP history."""
