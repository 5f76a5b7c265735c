"""A registry simulator: a real HTTP server speaking the registry contract, for demos and tests."""
