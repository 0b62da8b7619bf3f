"""PynamoDB models and repositories: the only place that talks to DynamoDB."""
