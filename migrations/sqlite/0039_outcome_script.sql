-- What the agent read to the investor (回访话术: opening and closing), as rendered for the call,
-- kept with the outcome: the rule set's scripts may change later, the record may not.
ALTER TABLE callback_outcomes ADD COLUMN script TEXT;
