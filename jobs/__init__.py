"""Scheduled work: one module per job. The JobQueue only ticks; the database says what is due."""
