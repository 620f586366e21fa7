"""Qingming and other commemoration events: stops, routes, bookings, proxy visits, trips, online tribute."""
