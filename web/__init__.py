"""HTTP layer: authentication, the GraphQL endpoint, health checks."""
