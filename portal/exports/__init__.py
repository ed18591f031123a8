"""The PEP as a Word document: drafts for anyone who may see the PEP, and the statutory record.

`portal.exports.builder.build_pep_document` turns a PEP into .docx bytes. It is pure given its
inputs (the PEP, its audit trail, the settings and the moment it is generated), so building the
same PEP twice gives byte-identical files and a stored record can be verified by rebuilding it.
Nothing is imported here: the builder pulls in python-docx, which only the export paths need.
"""
