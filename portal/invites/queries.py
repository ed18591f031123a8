"""Finding invites: by the token a holder presents, or for a PEP's staff page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.invites.tokens import hash_token, looks_like_a_token
from portal.models import ContributionInvite, Pep


def find_invite_by_token(session: Session, token: str) -> ContributionInvite | None:
    """The invite this token opens, whatever its state; None for an unknown token."""
    if not looks_like_a_token(token):
        return None
    return session.scalar(
        select(ContributionInvite).where(ContributionInvite.token_hash == hash_token(token))
    )


def invites_for_pep(session: Session, pep: Pep) -> list[ContributionInvite]:
    return list(
        session.scalars(
            select(ContributionInvite)
            .where(ContributionInvite.pep_id == pep.id)
            .order_by(ContributionInvite.created_at_utc.desc())
        )
    )
