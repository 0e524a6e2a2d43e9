-- The koppeling records both acceptances with their versions: the disclaimer (fraude, privacy)
-- and the gebruikersvoorwaarden are accepted at different moments. accepted_at stays the terms
-- time; koppelingen made before this column existed keep it empty.
alter table koppelingen add column disclaimer_accepted_at timestamptz;
