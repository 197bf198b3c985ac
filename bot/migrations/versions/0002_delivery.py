"""Delivery tables: tickets and their events, alerts, and the outbox.

Revision ID: 0002_delivery
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_delivery"
down_revision = "0001_core"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id")),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(128)),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("post_url", sa.Text(), nullable=False),
        sa.Column("first_response_due", UTC, nullable=False),
        sa.Column("resolution_due", UTC, nullable=False),
        sa.Column("thread_key", sa.String(200)),
        sa.Column("external_refs", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index("ix_ticket_status", "ticket", ["status"])
    op.create_index("ix_ticket_post_id", "ticket", ["post_id"])
    op.create_index("ix_ticket_incident_id", "ticket", ["incident_id"])
    op.create_index("ix_ticket_thread_key", "ticket", ["thread_key"])

    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(128)),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_ticket_event_ticket_id", "ticket_event", ["ticket_id"])

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id")),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("current_tier", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC),
        sa.Column("acked_at", UTC),
        sa.Column("acked_by", sa.String(128)),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_escalation_at", UTC),
    )
    op.create_index("ix_alert_post_id", "alert", ["post_id"])
    op.create_index("ix_alert_incident_id", "alert", ["incident_id"])
    op.create_index("ix_alert_escalation", "alert", ["acked_at", "next_escalation_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("external_ref", sa.String(255)),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC),
    )
    op.create_index("ix_outbox_ref_id", "outbox", ["ref_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_due", "outbox")
    op.drop_index("ix_outbox_ref_id", "outbox")
    op.drop_table("outbox")
    op.drop_index("ix_alert_escalation", "alert")
    op.drop_index("ix_alert_incident_id", "alert")
    op.drop_index("ix_alert_post_id", "alert")
    op.drop_table("alert")
    op.drop_index("ix_ticket_event_ticket_id", "ticket_event")
    op.drop_table("ticket_event")
    op.drop_index("ix_ticket_thread_key", "ticket")
    op.drop_index("ix_ticket_incident_id", "ticket")
    op.drop_index("ix_ticket_post_id", "ticket")
    op.drop_index("ix_ticket_status", "ticket")
    op.drop_table("ticket")
