"""Use cases: intake, routing and queueing, dispatch. No transports, web or SQL here."""
