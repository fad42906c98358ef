"""Everything that talks to GitHub: auth, gateway, ETag cache, downloads, payload -> model."""
