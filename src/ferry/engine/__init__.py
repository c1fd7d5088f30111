"""The sync engine: it notices changes, maps them, writes them to the other side, never loses one,
never applies one twice, and records what happened. It knows no vendor: systems are reached only
through the connector contract."""
