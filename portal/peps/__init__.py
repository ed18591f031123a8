"""PEP pages: the task list, section pages that save as people type, and starting a PEP."""
