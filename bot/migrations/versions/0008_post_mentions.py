"""Post mentions and community: normalised fields every source fills, so relevance never reads `raw`.

Existing X posts get their mentions from `raw.entities.mentions`, Reddit posts their
community from `raw.subreddit` (the fields relevance read before).

Revision ID: 0008_post_mentions
Revises: 0007_shadow
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_post_mentions"
down_revision = "0007_shadow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("mentions", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("community", sa.String(128), nullable=True))
    post = sa.table(
        "post", sa.column("id", sa.Integer), sa.column("source", sa.String), sa.column("raw", sa.JSON),
        sa.column("mentions", sa.JSON), sa.column("community", sa.String),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(post.c.id, post.c.source, post.c.raw).where(post.c.source.in_(["x", "reddit"]))):
        raw = row.raw if isinstance(row.raw, dict) else {}
        values: dict[str, object]
        if row.source == "reddit" and raw.get("subreddit"):
            values = {"community": str(raw["subreddit"])[:128]}
        else:
            found = (raw.get("entities") or {}).get("mentions") or []
            names = [str(m.get("username", "")).lower() for m in found if isinstance(m, dict) and m.get("username")]
            if not names:
                continue
            values = {"mentions": names}
        bind.execute(post.update().where(post.c.id == row.id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.drop_column("community")
        batch.drop_column("mentions")
