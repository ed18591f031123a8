"""Sign-off processes as explicit tables: pure Python, no Flask, no SQLAlchemy."""
