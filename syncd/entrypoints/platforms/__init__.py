"""Each platform put together: its adapters (API client, Source, description writer, token handling, the link
flows) with the platform-neutral services (the sync pipeline, the account pass, the outbox). The services see only
the ports; this is where a platform's concrete clients are built, and `wiring` builds these.
"""
