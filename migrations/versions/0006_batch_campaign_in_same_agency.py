"""A batch's campaign belongs to the batch's agency.

Until now `call_batches.campaign_id` could name any campaign, so a writer outside the API could
link a batch to another agency's campaign, and the batch's `campaign_name` (the view joins the
campaign) would then show that other agency's data. A composite foreign key
`(campaign_id, agency_id) → campaigns (id, agency_id)` makes the database refuse such a link,
whoever writes it; deleting a campaign still only clears the batches' `campaign_id`
(`ON DELETE SET NULL (campaign_id)`, PostgreSQL 15+).

Existing mismatches: the link is wrong and cannot be repaired (we cannot know which campaign of
the batch's own agency was meant), so `campaign_id` is cleared on those batches; the batches
themselves, their contacts and counts are kept. The number cleared is reported as a NOTICE.
The downgrade restores the plain foreign key; cleared links are not restored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE cleared integer;
        BEGIN
            UPDATE call_batches b SET campaign_id = NULL
            FROM campaigns c
            WHERE c.id = b.campaign_id AND c.agency_id <> b.agency_id;
            GET DIAGNOSTICS cleared = ROW_COUNT;
            RAISE NOTICE 'batches whose campaign belonged to another agency, link cleared: %',
                cleared;
        END $$
        """
    )
    op.create_unique_constraint(op.f("uq_campaigns_id_agency_id"), "campaigns", ["id", "agency_id"])
    op.drop_constraint(
        op.f("fk_call_batches_campaign_id_campaigns"), "call_batches", type_="foreignkey"
    )
    op.create_foreign_key(
        op.f("fk_call_batches_campaign_id_agency_id_campaigns"),
        "call_batches",
        "campaigns",
        ["campaign_id", "agency_id"],
        ["id", "agency_id"],
        ondelete="SET NULL (campaign_id)",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_call_batches_campaign_id_agency_id_campaigns"),
        "call_batches",
        type_="foreignkey",
    )
    op.create_foreign_key(
        op.f("fk_call_batches_campaign_id_campaigns"),
        "call_batches",
        "campaigns",
        ["campaign_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.drop_constraint(op.f("uq_campaigns_id_agency_id"), "campaigns", type_="unique")
