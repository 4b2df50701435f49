"""Persistence: the SQLAlchemy tables, the session factory, repository functions and search."""
