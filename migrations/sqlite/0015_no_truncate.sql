-- PostgreSQL needs statement triggers against TRUNCATE; SQLite has no TRUNCATE (its DELETE
-- triggers cover it). This file keeps the two migration histories the same length.
SELECT 1;
