"""Operating the service: `flask` commands, demo data, outgoing mail and the production server's hooks."""
