"""The SQLAlchemy store on SQLite or PostgreSQL: tables, Part 1 repository and filters, Part 2 dynamic data."""
