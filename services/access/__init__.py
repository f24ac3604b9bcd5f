"""Access: actors and roles (segregation of duties), and scrubbing what goes to logs and artifacts."""
