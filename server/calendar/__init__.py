"""The regency's calendar: assessment periods, working days (Monday–Friday minus the admin's holiday
calendar) and period locks. Every other domain may read it; it reads none of them."""
