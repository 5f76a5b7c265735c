"""Sync with the central student registry: pushes the outbox, pulls rosters by cursor."""
