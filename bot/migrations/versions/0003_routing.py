"""Routing tables: incidents, incident membership, route decisions.

Revision ID: 0003_routing
Revises: 0002_delivery
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_routing"
down_revision = "0002_delivery"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("last_post_at", UTC, nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("total_reach", sa.BigInteger(), nullable=False),
        sa.Column("alert_tiers", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.Integer()),
    )
    op.create_index("ix_incident_status", "incident", ["status"])
    op.create_index("ix_incident_last_post_at", "incident", ["last_post_at"])

    op.create_table(
        "incident_post",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("joined_at", UTC, nullable=False),
        sa.Column("post_created_at", UTC, nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("similarity", sa.Float()),
    )
    op.create_index("ix_incident_post_incident_id", "incident_post", ["incident_id"])

    op.create_table(
        "route_decision",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("rule", sa.String(128)),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("ticket_queue", sa.String(64)),
        sa.Column("ticket_priority", sa.String(16)),
        sa.Column("alert_tier", sa.String(64)),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("ticket_id", sa.Integer()),
        sa.Column("ticket_action", sa.String(16)),
        sa.Column("alert_id", sa.Integer()),
        sa.Column("visibility", sa.JSON(), nullable=False),
        sa.Column("decided_at", UTC, nullable=False),
        sa.Column("reviewed_at", UTC),
    )
    op.create_index("ix_route_decision_incident_id", "route_decision", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_route_decision_incident_id", "route_decision")
    op.drop_table("route_decision")
    op.drop_index("ix_incident_post_incident_id", "incident_post")
    op.drop_table("incident_post")
    op.drop_index("ix_incident_last_post_at", "incident")
    op.drop_index("ix_incident_status", "incident")
    op.drop_table("incident")
