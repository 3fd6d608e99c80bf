-- Webhooks, cheaper per delivery (issue 14: 1,000 completions/s with one endpoint).
--
-- A claim records its lease in lease_until, a column no index covers, instead of moving
-- next_attempt_at (which webhook_deliveries_due indexes): with room kept free in each page
-- (fillfactor) the claim is then a HOT update that writes no index entry. A delivery is due when
-- next_attempt_at has passed and no live lease holds it; a lost sender's lease simply runs out.
ALTER TABLE webhook_deliveries ADD COLUMN lease_until timestamptz;
ALTER TABLE webhook_deliveries SET (fillfactor = 70);
