"""Database tables, engine and schema management. No business rules live here."""
