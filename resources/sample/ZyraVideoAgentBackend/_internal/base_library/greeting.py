"""Stand-in for a module frozen into the bundle."""

GREETING = "hello from the sample bundle"
