"""What guards the service: the JWT secret, CORS, request bodies, passwords, security headers,
rate limits and where revoked tokens are stored."""
