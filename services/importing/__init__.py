"""Importing: filing claim files, amendments and withdrawals, inspection and completion rosters."""
