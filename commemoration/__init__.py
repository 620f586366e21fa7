"""Qingming and other commemorations: events, readiness, booking, proxy visits, routes, trips, online tribute."""
