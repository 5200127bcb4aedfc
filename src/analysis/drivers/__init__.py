"""Stage 4 (drivers): relative weights behind the priority matrix (styrkor and
fokusområden), per unit."""
