"""Route lists per area: village, runs, county, admin (the API is :mod:`dividends.web.api`)."""
