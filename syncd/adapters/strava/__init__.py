"""Strava adapter: the real stravalib client routed to `[strava] api_url`/`oauth_url`, payload mapping, errors."""
