-- Unleash keeps its own database on the stack's PostgreSQL; AlertAgent's is POSTGRES_DB.
CREATE DATABASE unleash;
