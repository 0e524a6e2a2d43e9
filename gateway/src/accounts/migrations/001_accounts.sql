-- The accounts registry: organisations, accounts with rollen and kenmerken, activation codes,
-- koppelingen, the audit trail and mededelingen. Runs unchanged on PostgreSQL and PGlite.
-- Times are timestamptz; the code speaks milliseconds since the epoch.

create table organisations (
  id          uuid primary key,
  name        text not null check (length(name) between 1 and 200),
  kvk         text not null check (kvk ~ '^[0-9]{8}$'),
  rsin        text check (rsin ~ '^[0-9]{9}$'),
  sector      text not null check (length(sector) between 1 and 100),
  created_at  timestamptz not null,
  constraint organisations_kvk_key unique (kvk)
);

create table accounts (
  id               uuid primary key,
  -- Stored lower case, so the unique constraint is case-insensitive in effect.
  gebruikersnaam   text not null check (gebruikersnaam ~ '^[a-z0-9._-]{3,64}$'),
  organisation_id  uuid not null references organisations (id),
  name             text not null check (length(name) between 1 and 200),
  email            text not null,
  phone            text,
  beheerder        boolean not null default false,
  status           text not null default 'active' check (status in ('active', 'disabled')),
  totp_secret      text,
  created_at       timestamptz not null,
  constraint accounts_gebruikersnaam_key unique (gebruikersnaam)
);
create index accounts_organisation_idx on accounts (organisation_id);

create table account_rollen (
  account_id  uuid not null references accounts (id),
  rol         text not null check (length(rol) between 1 and 100),
  primary key (account_id, rol)
);

create table account_kenmerken (
  account_id  uuid not null references accounts (id),
  kenmerk     text not null check (length(kenmerk) between 1 and 100),
  primary key (account_id, kenmerk)
);

create table activation_codes (
  id          uuid primary key,
  -- Issue order; timestamps can tie under a test clock.
  seq         bigint generated always as identity,
  account_id  uuid not null references accounts (id),
  -- HMAC-SHA256 (hex) of the code; the code itself is never stored.
  code_hash   text not null check (code_hash ~ '^[0-9a-f]{64}$'),
  issued_at   timestamptz not null,
  expires_at  timestamptz not null check (expires_at > issued_at),
  used_at     timestamptz,
  voided_at   timestamptz,
  check (used_at is null or voided_at is null)
);
-- A new code voids the old one: at most one open code per account.
create unique index activation_codes_one_open_per_account
  on activation_codes (account_id) where used_at is null and voided_at is null;
create index activation_codes_account_idx on activation_codes (account_id, seq);

create table koppelingen (
  id                   uuid primary key,
  seq                  bigint generated always as identity,
  account_id           uuid not null references accounts (id),
  -- Keyed hash (HMAC-SHA256, hex) of pseudonym + legal subject; never the raw pseudonym.
  subject_hash         text not null check (subject_hash ~ '^[0-9a-f]{64}$'),
  broker               text not null,
  legal_subject_type   text not null check (legal_subject_type in ('KvKnr', 'RSIN')),
  legal_subject_value  text not null check (
    (legal_subject_type = 'KvKnr' and legal_subject_value ~ '^[0-9]{8}$')
    or (legal_subject_type = 'RSIN' and legal_subject_value ~ '^[0-9]{9}$')),
  linked_at            timestamptz not null,
  last_login_at        timestamptz not null,
  undone_at            timestamptz,
  undone_reason        text check (undone_reason in
    ('inactive-18-months', 'means-lost', 'means-stolen', 'means-defective', 'replaced', 'beheerder')),
  disclaimer_version   text not null,
  terms_version        text not null,
  accepted_at          timestamptz not null,
  check ((undone_at is null) = (undone_reason is null))
);
-- At most one active koppeling per account and per subject, whatever the code does.
create unique index koppelingen_one_active_per_account on koppelingen (account_id) where undone_at is null;
create unique index koppelingen_one_active_per_subject on koppelingen (subject_hash) where undone_at is null;
create index koppelingen_subject_idx on koppelingen (subject_hash, seq);
create index koppelingen_account_idx on koppelingen (account_id);
create index koppelingen_active_last_login_idx on koppelingen (last_login_at) where undone_at is null;

create table audit_events (
  id              bigint generated always as identity primary key,
  at              timestamptz not null,
  action          text not null check (length(action) between 1 and 100),
  outcome         text not null check (outcome in ('success', 'failure', 'refused')),
  actor_type      text not null check (actor_type in ('account', 'beheerder', 'system', 'anonymous', 'cli')),
  actor_id        text,
  -- No foreign key: the trail must keep every event, whatever happens to the account.
  account_id      text,
  subject_ref     text check (length(subject_ref) <= 16),
  reason          text,
  correlation_id  text,
  details         jsonb not null default '{}'::jsonb
);
create index audit_events_account_idx on audit_events (account_id, id);
create index audit_events_action_idx on audit_events (action, id);

-- Append-only, enforced by the database too, not only by the code that never updates it.
create function audit_events_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_events_no_update_or_delete
  before update or delete on audit_events
  for each row execute function audit_events_refuse_change();
create trigger audit_events_no_truncate
  before truncate on audit_events
  for each statement execute function audit_events_refuse_change();

create table mededelingen (
  id           uuid primary key,
  -- null: for every gebruiker, whatever the rollen.
  rol          text check (length(rol) between 1 and 100),
  title        text not null check (length(title) between 1 and 200),
  body         text not null,
  valid_from   timestamptz not null,
  valid_until  timestamptz,
  created_at   timestamptz not null,
  check (valid_until is null or valid_until > valid_from)
);
create index mededelingen_period_idx on mededelingen (valid_from);
