-- The evidence an order carries for each requirement it met: {"dual_recording": [{"kind": "recording", "ref": "…"}]}.
ALTER TABLE orders ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}';
