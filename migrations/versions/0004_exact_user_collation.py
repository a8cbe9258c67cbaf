"""exact (binary) collation for the normalised user columns on MySQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 20:28:21

users.username_lower and users.email hold lower-cased values whose uniqueness must mean the
same on every database. MySQL's utf8mb4_unicode_ci also folds accents and more ('josé' = 'jose',
'straße' = 'strasse'), SQLite compares bytes: compare bytes on MySQL too. Nothing changes on
SQLite (a batch rebuild of users there would only risk its boards).

Written by hand: autogenerate would rebuild the table on SQLite for a type change that is
MySQL-only.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = {'username_lower': 30, 'email': 254}


def _on_mysql() -> bool:
    return op.get_bind().dialect.name in ('mysql', 'mariadb')


def upgrade():
    # Exact comparison only makes more values distinct: existing rows cannot collide.
    if not _on_mysql():
        return
    for column, length in COLUMNS.items():
        op.alter_column('users', column,
               existing_type=sa.String(length=length),
               type_=mysql.VARCHAR(length=length, collation='utf8mb4_bin'),
               existing_nullable=False)


def downgrade():
    # Fails (duplicate entry) if users now exist whose emails differ only in accents or the like.
    if not _on_mysql():
        return
    for column, length in COLUMNS.items():
        op.alter_column('users', column,
               existing_type=mysql.VARCHAR(length=length, collation='utf8mb4_bin'),
               type_=mysql.VARCHAR(length=length, collation='utf8mb4_unicode_ci'),
               existing_nullable=False)
