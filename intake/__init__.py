"""Reading claim files and turning raw rows into validated `ClaimRecord`s (CONTRACT §1)."""
