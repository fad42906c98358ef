"""A local, stateful simulator of the part of GitHub's REST API releasemgr uses."""
