"""The importers of staff, schools and children: each checks a file's rows against the records
(changing nothing) and applies a checked plan. They live with the operations because applying
changes state; reading files and the shared shapes are in `portal.imports`."""
