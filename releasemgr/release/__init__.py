"""Artifact formats and local work: checksums, metadata, package, verify, unzip, monitor, smoke."""
