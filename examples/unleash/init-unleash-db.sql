-- Unleash keeps its own database beside AlertAgent's.
CREATE DATABASE unleash;
