"""Links for people without an account: the child gives their views, a carer gives theirs.

A designated teacher or social worker creates a link for one section of one PEP; whoever holds
the link can fill in that section and nothing else. Views live in `portal.invites.views` and
are registered by the app factory (importing them here would be circular).
"""
