"""SQLModel tables, query functions and Alembic migrations."""
