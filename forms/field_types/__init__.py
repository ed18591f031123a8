"""One module per field type of the PEP forms: its definition, its YAML reader, its rules on
answers, how it reads what people type, and its WTForms field class.

- ``reading``: the YAML-reading plumbing (where a value sits, typed reads of one mapping).
- ``base``: the list of types, what every field has, the common keys, WTForms base classes.
- ``registry``: which reader reads which type. A new field type is a new module here, a member
  of ``FieldType`` and one line in the registry.

``forms.schema``, ``forms.fields``, ``forms.validation`` and ``forms.parsing`` re-export these
names, so code that imports them from there keeps working.
"""
