"""Speaker embeddings and offline voice matching (see match.py for what "matching" means)."""
