"""Artifact formats and local work: checksums, metadata, package, verify, safe unzip, monitor, smoke."""
