"""The bottom of the stack: what every app needs and that knows nothing of the domain."""
