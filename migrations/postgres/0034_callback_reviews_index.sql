-- The late-review list and the desk's summary look up a callback's reviews since it closed.
CREATE INDEX callback_reviews_callback_idx ON callback_reviews (callback_id, created_at);
